// The hash chain: a log verifies after many appends, and every kind of tampering is found and located.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, test } from 'vitest';
import {
  GENESIS_HASH,
  SCHEMA_VERSION,
  eventHash,
  formatHead,
  openAuditStore,
  parseHead,
  type AuditStore,
} from '../../src/audit/index.js';
import { canonicalJson, sha256Hex } from '../../src/redact/index.js';
import { WardenError } from '../../src/errors.js';
import { intent, outcome, useTempDir } from './helpers.js';

const tempDir = useTempDir();

/** A store with `count` events (intent/outcome pairs), closed; returns its path. */
function filledLog(count: number): string {
  const file = path.join(tempDir(), 'warden.db');
  const store = openAuditStore(file);
  for (let i = 1; i <= count; i += 1) {
    store.append(i % 2 === 1 ? intent(`req-${Math.ceil(i / 2)}`) : outcome(`req-${i / 2}`));
  }
  store.close();
  return file;
}

/** Raw SQL access as an attacker with the file would have it, with the append-only triggers removed. */
function tamper(file: string, sql: string): void {
  const db = new Database(file);
  db.exec(`DROP TRIGGER IF EXISTS events_no_update; DROP TRIGGER IF EXISTS events_no_delete;
           DROP TRIGGER IF EXISTS events_no_replace; DROP TRIGGER IF EXISTS chain_head_no_delete;`);
  db.exec(sql);
  db.close();
}

function verify(file: string, expectHead?: { seq: number; hash: string }) {
  const store = openAuditStore(file, { readonly: true });
  try {
    return store.verify({ expectHead });
  } finally {
    store.close();
  }
}

describe('appending', () => {
  test('creates the folder, the file and a WAL-mode schema at the current version', () => {
    const file = path.join(tempDir(), 'nested', 'deeper', 'warden.db');
    const store = openAuditStore(file);
    store.close();
    expect(existsSync(file)).toBe(true);
    const db = new Database(file, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    db.close();
  });

  test('chains each event to the previous one, starting from 64 zeros', () => {
    const store = openAuditStore(path.join(tempDir(), 'warden.db'));
    const first = store.append(intent('req-1'));
    const second = store.append(outcome('req-1'));
    store.close();
    expect(first.seq).toBe(1);
    expect(first.prevHash).toBe(GENESIS_HASH);
    expect(second.seq).toBe(2);
    expect(second.prevHash).toBe(first.hash);
    expect(first.ts).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });

  test('hashes prevHash, a newline and the canonical JSON of seq, ts, type, ids and data', () => {
    const store = openAuditStore(path.join(tempDir(), 'warden.db'));
    const event = store.append({
      type: 'server.connected',
      data: { toolCount: 3, server: 'fs', transport: 'stdio' },
    });
    store.close();
    const expected = sha256Hex(
      `${GENESIS_HASH}\n` +
        canonicalJson({
          seq: 1,
          ts: event.ts,
          type: 'server.connected',
          requestId: null,
          sessionId: null,
          data: { server: 'fs', transport: 'stdio', toolCount: 3 },
        }),
    );
    expect(event.hash).toBe(expected);
    expect(eventHash(GENESIS_HASH, event)).toBe(expected);
  });

  test('returns and stores data in its JSON form', () => {
    const store = openAuditStore(path.join(tempDir(), 'warden.db'));
    const when = new Date('2025-01-02T03:04:05.000Z');
    const event = store.append({ type: 'note', data: { when, skipped: undefined, list: [1, undefined] } });
    expect(event.data).toEqual({ when: '2025-01-02T03:04:05.000Z', list: [1, null] });
    expect([...store.events()][0]!.data).toEqual(event.data);
    expect(store.verify().ok).toBe(true);
    store.close();
  });

  test('verifies after many appends, single and grouped', () => {
    const store = openAuditStore(path.join(tempDir(), 'warden.db'), { synchronous: 'full' });
    for (let i = 0; i < 300; i += 1) store.append(intent(`req-${i}`));
    const group = store.appendMany(Array.from({ length: 200 }, (_, i) => outcome(`req-${i}`)));
    expect(group.map((e) => e.seq)).toEqual(Array.from({ length: 200 }, (_, i) => 301 + i));
    const result = store.verify();
    expect(result).toEqual({ ok: true, count: 500, head: store.head() });
    expect(store.head()).toEqual({ seq: 500, hash: group[199]!.hash });
    store.close();
  });

  test('continues the chain after the file is closed and reopened', () => {
    const file = filledLog(3);
    const store = openAuditStore(file);
    const event = store.append(outcome('req-2'));
    expect(event.seq).toBe(4);
    expect(store.verify()).toMatchObject({ ok: true, count: 4 });
    store.close();
  });

  test('an empty log verifies with the genesis head', () => {
    const store = openAuditStore(path.join(tempDir(), 'warden.db'));
    expect(store.head()).toEqual({ seq: 0, hash: GENESIS_HASH });
    expect(store.verify()).toEqual({ ok: true, count: 0, head: { seq: 0, hash: GENESIS_HASH } });
    store.close();
  });

  test('refuses events without a type or with non-object data, writing nothing', () => {
    const store = openAuditStore(path.join(tempDir(), 'warden.db'));
    expect(() => store.append({ type: '', data: {} })).toThrow(/non-empty type/);
    expect(() => store.append({ type: 'x', data: [] as unknown as Record<string, unknown> })).toThrow(
      /must be an object/,
    );
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => store.append({ type: 'x', data: cyclic })).toThrow(WardenError);
    expect(store.head().seq).toBe(0);
    store.close();
  });
});

describe('read-only stores', () => {
  test('refuse to append, with AUDIT_WRITE', () => {
    const file = filledLog(2);
    const store = openAuditStore(file, { readonly: true });
    expect(() => store.append(intent('req-9'))).toThrow(expect.objectContaining({ code: 'AUDIT_WRITE' }));
    store.close();
  });

  test('fail with AUDIT_OPEN naming the path when the file does not exist', () => {
    const file = path.join(tempDir(), 'missing.db');
    expect(() => openAuditStore(file, { readonly: true })).toThrow(
      expect.objectContaining({ code: 'AUDIT_OPEN', message: expect.stringContaining(file) }),
    );
    expect(existsSync(file)).toBe(false);
  });

  test('fail with AUDIT_OPEN when the file is not a Warden log', () => {
    const file = path.join(tempDir(), 'other.db');
    new Database(file).exec('CREATE TABLE t (x)');
    expect(() => openAuditStore(file, { readonly: true })).toThrow(/not a Warden audit log/);
  });

  test('refuse a log written by a newer schema', () => {
    const file = filledLog(1);
    const db = new Database(file);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => openAuditStore(file)).toThrow(/newer than this Warden understands/);
    expect(() => openAuditStore(file, { readonly: true })).toThrow(/upgrade Warden/);
  });
});

describe('append-only triggers', () => {
  test('block UPDATE, DELETE and INSERT OR REPLACE of events', () => {
    const file = filledLog(4);
    const db = new Database(file);
    expect(() => db.exec(`UPDATE events SET data = '{}' WHERE seq = 2`)).toThrow(/append-only/);
    expect(() => db.exec('DELETE FROM events WHERE seq = 4')).toThrow(/append-only/);
    expect(() =>
      db.exec(
        `INSERT OR REPLACE INTO events (seq, ts, type, data, prev_hash, hash) VALUES (2, 'x', 'x', '{}', 'x', 'x')`,
      ),
    ).toThrow(/append-only/);
    expect(() => db.exec('DELETE FROM chain_head')).toThrow(/cannot be deleted/);
    db.close();
    expect(verify(file)).toMatchObject({ ok: true, count: 4 });
  });
});

describe('verify finds tampering', () => {
  test("an edited row's data, naming that seq", () => {
    const file = filledLog(10);
    tamper(file, `UPDATE events SET data = json_set(data, '$.risk', 'low') WHERE seq = 5`);
    expect(verify(file)).toEqual({
      ok: false,
      count: 4,
      firstBadSeq: 5,
      problem: expect.stringContaining('hash does not match'),
    });
  });

  test('an edited type, timestamp or request id', () => {
    for (const edit of [`type = 'call.denied'`, `ts = '2020-01-01T00:00:00.000Z'`, `request_id = 'other'`]) {
      const file = filledLog(6);
      tamper(file, `UPDATE events SET ${edit} WHERE seq = 3`);
      expect(verify(file)).toMatchObject({ ok: false, firstBadSeq: 3 });
    }
  });

  test('data edited so that it parses back to the same object: a repeated key, spaces, another key order', () => {
    // A repeated key first is what SQLite's JSON functions (and so `audit list`) read; JSON.parse keeps the last.
    const edits = [
      `'{"principal":{"id":"mallory@evil"},"risk":"low",' || substr(data, 2)`,
      `replace(data, ',', ', ')`,
      `'{"type":"swapped",' || substr(data, 2)`,
    ];
    for (const edit of edits) {
      const file = filledLog(6);
      tamper(file, `UPDATE events SET data = ${edit} WHERE seq = 3`);
      const db = new Database(file, { readonly: true });
      const shown = db.prepare(`SELECT data ->> '$.risk' AS risk FROM events WHERE seq = 3`).get() as {
        risk: string;
      };
      db.close();
      if (edit.includes('mallory')) expect(shown.risk).toBe('low');
      expect(verify(file)).toMatchObject({
        ok: false,
        count: 2,
        firstBadSeq: 3,
        problem: expect.stringContaining('hash does not match'),
      });
    }
  });

  test('data that is no longer JSON', () => {
    const file = filledLog(4);
    tamper(file, `UPDATE events SET data = '{broken' WHERE seq = 2`);
    expect(verify(file)).toMatchObject({
      ok: false,
      firstBadSeq: 2,
      problem: expect.stringContaining('not valid JSON'),
    });
  });

  test('an edited row whose own hash was recomputed, at the next row', () => {
    const file = filledLog(6);
    const store = openAuditStore(file, { readonly: true });
    const events = [...store.events()];
    store.close();
    const third = events[2]!;
    const data = { ...third.data, risk: 'low' };
    const forged = eventHash(third.prevHash, { ...third, data });
    tamper(file, `UPDATE events SET data = '${JSON.stringify(data)}', hash = '${forged}' WHERE seq = 3`);
    expect(verify(file)).toMatchObject({
      ok: false,
      count: 3,
      firstBadSeq: 4,
      problem: expect.stringContaining('prev_hash'),
    });
  });

  test('a deleted middle row', () => {
    const file = filledLog(10);
    tamper(file, 'DELETE FROM events WHERE seq = 6');
    expect(verify(file)).toEqual({
      ok: false,
      count: 5,
      firstBadSeq: 7,
      problem: 'seq 7 follows seq 5: event 6 is missing (deleted)',
    });
  });

  test('a deleted middle row with the later rows renumbered', () => {
    const file = filledLog(8);
    tamper(
      file,
      'DELETE FROM events WHERE seq = 4; UPDATE events SET seq = seq - 1 WHERE seq > 4; UPDATE chain_head SET seq = 7',
    );
    expect(verify(file)).toMatchObject({
      ok: false,
      firstBadSeq: 4,
      problem: expect.stringContaining('prev_hash'),
    });
  });

  test('two rows swapped', () => {
    const file = filledLog(6);
    tamper(
      file,
      `UPDATE events SET seq = 100 WHERE seq = 2; UPDATE events SET seq = 2 WHERE seq = 3; UPDATE events SET seq = 3 WHERE seq = 100`,
    );
    expect(verify(file)).toMatchObject({ ok: false, firstBadSeq: 2 });
  });

  test('a deleted tail, through the chain head', () => {
    const file = filledLog(10);
    tamper(file, 'DELETE FROM events WHERE seq > 7');
    expect(verify(file)).toEqual({
      ok: false,
      count: 7,
      firstBadSeq: 8,
      problem: 'the chain head records seq 10 but the log ends at seq 7: the tail was deleted',
    });
  });

  test('a deleted tail stays visible after the gateway appends again', () => {
    const file = filledLog(10);
    tamper(file, 'DELETE FROM events WHERE seq > 7');
    const store = openAuditStore(file);
    expect(store.append(intent('req-99')).seq).toBe(11);
    expect(store.verify()).toMatchObject({
      ok: false,
      firstBadSeq: 11,
      problem: expect.stringContaining('events 8..10 are missing'),
    });
    store.close();
  });

  test('a deleted chain head', () => {
    const file = filledLog(3);
    tamper(file, 'DELETE FROM chain_head');
    expect(verify(file)).toMatchObject({
      ok: false,
      problem: expect.stringContaining('chain_head row is missing'),
    });
  });

  test('rows inserted after the chain head', () => {
    const file = filledLog(3);
    const store = openAuditStore(file, { readonly: true });
    const head = store.head();
    store.close();
    const hash = eventHash(head.hash, { seq: 4, ts: '2030-01-01T00:00:00.000Z', type: 'x', data: {} });
    tamper(
      file,
      `INSERT INTO events (seq, ts, type, data, prev_hash, hash) VALUES (4, '2030-01-01T00:00:00.000Z', 'x', '{}', '${head.hash}', '${hash}')`,
    );
    expect(verify(file)).toMatchObject({
      ok: false,
      firstBadSeq: 4,
      problem: expect.stringContaining('after the chain head'),
    });
  });
});

describe('published heads', () => {
  test('a head published earlier still matches after the log grew', () => {
    const file = filledLog(4);
    const store = openAuditStore(file);
    const published = store.head();
    store.append(intent('req-5'));
    expect(store.verify({ expectHead: published })).toMatchObject({ ok: true, count: 5 });
    store.close();
  });

  test('a log rewritten consistently from scratch passes the chain but not the published head', () => {
    const file = filledLog(4);
    const before = openAuditStore(file, { readonly: true });
    const published = before.head();
    before.close();

    // The attacker rebuilds the whole file with one event changed: every hash recomputed, triggers intact.
    const forgedFile = path.join(tempDir(), 'forged.db');
    const source = openAuditStore(file, { readonly: true });
    const forged: AuditStore = openAuditStore(forgedFile);
    for (const event of source.events()) {
      const data = event.seq === 2 ? { ...event.data, status: 'tool_error' } : event.data;
      forged.append({ type: event.type, requestId: event.requestId, sessionId: event.sessionId, data });
    }
    source.close();
    expect(forged.verify()).toMatchObject({ ok: true, count: 4 });
    expect(forged.verify({ expectHead: published })).toMatchObject({
      ok: false,
      firstBadSeq: 4,
      problem: expect.stringContaining('published head'),
    });
    forged.close();
  });

  test('a published head beyond the end of the log means events were removed', () => {
    const file = filledLog(3);
    expect(verify(file, { seq: 9, hash: 'f'.repeat(64) })).toMatchObject({ ok: false, firstBadSeq: 4 });
  });

  test('heads are written and read as SEQ:HASH', () => {
    const head = { seq: 12, hash: 'ab'.repeat(32) };
    expect(formatHead(head)).toBe(`12:${'ab'.repeat(32)}`);
    expect(parseHead(formatHead(head))).toEqual(head);
    expect(parseHead(`12:${'AB'.repeat(32)}`)).toEqual(head);
    expect(parseHead('12:abc')).toBeUndefined();
    expect(parseHead('x:' + 'a'.repeat(64))).toBeUndefined();
  });
});

test('the file stays small: data is stored once, as canonical JSON', () => {
  const file = filledLog(20);
  expect(statSync(file).size).toBeGreaterThan(0);
  const db = new Database(file, { readonly: true });
  const row = db.prepare('SELECT data FROM events WHERE seq = 1').get() as { data: string };
  db.close();
  expect(row.data).toBe(canonicalJson(JSON.parse(row.data)));
});
