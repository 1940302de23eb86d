// The hash chain: how an event's hash is computed, and how a whole log is checked against it.
import { canonicalJson, sha256Hex } from '../redact/canonical.js';
import type { ChainHead, VerifyResult } from './types.js';

/** prev_hash of the first event. */
export const GENESIS_HASH = '0'.repeat(64);

/** The fields an event's hash covers. Absent ids are hashed as null. */
export interface HashedFields {
  seq: number;
  ts: string;
  type: string;
  requestId?: string | null;
  sessionId?: string | null;
  data: unknown;
}

/** An `events` row as SQLite returns it. */
export interface EventRow {
  seq: number;
  ts: string;
  type: string;
  request_id: string | null;
  session_id: string | null;
  data: string;
  prev_hash: string;
  hash: string;
}

/**
 * sha256 hex of `prevHash + "\n" + canonicalJson({ seq, ts, type, requestId, sessionId, data })`, ids null when
 * absent. Anyone can recompute it from an export with a JCS (RFC 8785) implementation.
 */
export function eventHash(prevHash: string, fields: HashedFields): string {
  return eventHashWithData(prevHash, fields, canonicalJson(fields.data));
}

/**
 * eventHash for a caller that already holds the canonical JSON of `data` (the append path), saving a second
 * serialization. The hashed text is identical.
 */
export function eventHashWithData(
  prevHash: string,
  fields: Omit<HashedFields, 'data'>,
  dataText: string,
): string {
  // Keys in canonical (sorted) order: data, requestId, seq, sessionId, ts, type.
  const payload =
    `{"data":${dataText},"requestId":${JSON.stringify(fields.requestId ?? null)},` +
    `"seq":${canonicalJson(fields.seq)},"sessionId":${JSON.stringify(fields.sessionId ?? null)},` +
    `"ts":${JSON.stringify(fields.ts)},"type":${JSON.stringify(fields.type)}}`;
  return sha256Hex(`${prevHash}\n${payload}`);
}

/**
 * Walks the rows in seq order and recomputes every link over the stored bytes (Warden stores data as canonical JSON,
 * so this is the hash eventHash gives). Catches a changed seq, ts, type, id, data (down to a space or a repeated key)
 * or hash, a removed or reordered row, and (through `head`, the chain_head row) a removed tail. `expectHead`, a head
 * published earlier, also catches a log rewritten consistently from scratch, which no check inside the file can.
 */
export function verifyChain(
  rows: Iterable<EventRow>,
  head: ChainHead | undefined,
  expectHead?: ChainHead,
): VerifyResult {
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let count = 0;
  const fail = (firstBadSeq: number, problem: string): VerifyResult => ({
    ok: false,
    count,
    firstBadSeq,
    problem,
  });

  for (const row of rows) {
    if (row.seq !== expectedSeq) {
      const missing =
        row.seq - 1 === expectedSeq ? `event ${expectedSeq} is` : `events ${expectedSeq}..${row.seq - 1} are`;
      return fail(row.seq, `seq ${row.seq} follows seq ${expectedSeq - 1}: ${missing} missing (deleted)`);
    }
    if (row.prev_hash !== prevHash) {
      return fail(
        row.seq,
        `prev_hash does not match the hash of event ${row.seq - 1}: an event before it was removed or changed`,
      );
    }
    try {
      JSON.parse(row.data);
    } catch {
      return fail(row.seq, 'data is not valid JSON: the row was edited');
    }
    // Security: the stored bytes themselves are hashed, never a re-serialization of them. Parsing first would
    // collapse a repeated key, spaces or another key order into the original text, and SQLite's JSON functions
    // (which the summaries read) take the first of repeated keys: an edit the auditor sees would pass.
    const fields = {
      seq: row.seq,
      ts: row.ts,
      type: row.type,
      requestId: row.request_id,
      sessionId: row.session_id,
    };
    if (eventHashWithData(prevHash, fields, row.data) !== row.hash) {
      return fail(
        row.seq,
        "hash does not match the event's content: its ts, type, ids, data or hash was changed",
      );
    }
    if (expectHead && row.seq === expectHead.seq && row.hash !== expectHead.hash) {
      return fail(
        row.seq,
        `hash differs from the published head ${formatHead(expectHead)}: the log was rewritten`,
      );
    }
    prevHash = row.hash;
    expectedSeq += 1;
    count += 1;
  }

  const lastSeq = expectedSeq - 1;
  if (!head) {
    if (count > 0) return fail(lastSeq, 'the chain_head row is missing: it was deleted');
  } else if (head.seq > lastSeq) {
    return fail(
      lastSeq + 1,
      `the chain head records seq ${head.seq} but the log ends at seq ${lastSeq}: the tail was deleted`,
    );
  } else if (head.seq < lastSeq) {
    return fail(head.seq + 1, `events after the chain head (seq ${head.seq}) were not appended by Warden`);
  } else if (head.hash !== prevHash) {
    return fail(lastSeq, 'the chain head hash does not match the last event');
  }
  if (expectHead && expectHead.seq === 0 && expectHead.hash !== GENESIS_HASH) {
    return fail(1, `the published head ${formatHead(expectHead)} is not a valid head for seq 0`);
  }
  if (expectHead && expectHead.seq > lastSeq) {
    return fail(
      lastSeq + 1,
      `the log ends at seq ${lastSeq}, before the published head ${formatHead(expectHead)}: events were removed`,
    );
  }
  return { ok: true, count, head: { seq: lastSeq, hash: prevHash } };
}

/** `SEQ:HASH`, the form operators publish and pass to `warden audit verify --expect-head`. */
export function formatHead(head: ChainHead): string {
  return `${head.seq}:${head.hash}`;
}

/** Parses `SEQ:HASH`; undefined when the text is not of that form. */
export function parseHead(text: string): ChainHead | undefined {
  const match = /^(\d+):([0-9a-fA-F]{64})$/.exec(text.trim());
  if (!match) return undefined;
  return { seq: Number(match[1]), hash: match[2]!.toLowerCase() };
}
