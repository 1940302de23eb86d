// The audit store: one SQLite file (WAL) shared by every Warden process on the machine, appended to as a hash chain.
import { openSqliteFile } from '../sqlite.js';
import path from 'node:path';
import Database from 'better-sqlite3';
import picomatch from 'picomatch';
import { WardenError, errorMessage } from '../errors.js';
import { canonicalJson } from '../redact/canonical.js';
import { GENESIS_HASH, eventHashWithData, verifyChain, type EventRow } from './chain.js';
import { parseSince, parseStatus, rowToEvent, rowToSummary, type RequestRow } from './rows.js';
import { MIGRATIONS, SCHEMA_VERSION } from './schema.js';
import type {
  AuditEvent,
  AuditEventInput,
  ChainHead,
  ListRequestsFilter,
  RequestSummary,
  VerifyResult,
} from './types.js';

export interface AuditStoreOptions {
  /** `full` survives power loss (use appendMany to group commits); `normal` (default) survives process crashes. */
  synchronous?: 'normal' | 'full';
  /** Open for reading only (the audit CLI): no migrations, append throws. */
  readonly?: boolean;
  /** How long to wait for another process's write lock, in ms (default 5000). */
  busyTimeoutMs?: number;
  /** Clock for event timestamps (tests). */
  now?: () => Date;
}

const DEFAULT_LIST_LIMIT = 100;

/**
 * An open audit log. Appends are serialized across processes by SQLite's write lock (`BEGIN IMMEDIATE`), so several
 * `warden serve` processes can share one file and the chain stays linear. The chain proves that nothing inside the
 * file was changed or removed; it cannot prove the file was not rewritten from scratch consistently: for that, publish
 * `head()` somewhere the writer cannot reach and check it with `verify({ expectHead })`.
 */
export class AuditStore {
  readonly path: string;
  readonly readonly: boolean;
  private readonly db: Database.Database;
  private readonly now: () => Date;
  private readonly statements: ReturnType<typeof prepareStatements>;
  private readonly appendTransaction: (inputs: readonly AuditEventInput[], build: boolean) => AuditEvent[];

  constructor(file: string, options: AuditStoreOptions = {}) {
    this.path = file === ':memory:' ? file : path.resolve(file);
    this.readonly = options.readonly ?? false;
    this.now = options.now ?? (() => new Date());
    this.db = openSqliteFile(this.path, this.readonly, options.busyTimeoutMs ?? 5_000, {
      code: 'AUDIT_OPEN',
      what: 'audit log',
    });
    try {
      if (this.readonly) {
        checkSchema(this.db, this.path);
      } else {
        this.db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
        migrate(this.db);
      }
      this.statements = prepareStatements(this.db);
    } catch (error) {
      this.db.close();
      throw error instanceof WardenError
        ? error
        : new WardenError('AUDIT_OPEN', `cannot open audit log ${this.path}: ${errorMessage(error)}`, {
            cause: error,
          });
    }
    const transaction = this.db.transaction((inputs: readonly AuditEventInput[], build: boolean) =>
      this.appendLocked(inputs, build),
    );
    this.appendTransaction = (inputs, build) => transaction.immediate(inputs, build);
  }

  /** True once close() ran. */
  get closed(): boolean {
    return !this.db.open;
  }

  /**
   * Writes one event and returns it as stored (data normalized to its JSON form, with seq, ts and hashes). Durable
   * when it returns. Throws AUDIT_WRITE when the log cannot be written: callers fail closed.
   */
  append(event: AuditEventInput): AuditEvent {
    return this.appendMany([event])[0]!;
  }

  /** Writes several events in one transaction (one fsync in `full` mode), in order, and returns them as stored. */
  appendMany(events: readonly AuditEventInput[]): AuditEvent[] {
    return this.write(events, true);
  }

  /**
   * appendMany for the hot path (the gateway's group commit): the same transaction, without building the stored
   * events the caller would throw away.
   */
  appendBatch(events: readonly AuditEventInput[]): void {
    this.write(events, false);
  }

  private write(events: readonly AuditEventInput[], build: boolean): AuditEvent[] {
    if (this.readonly) {
      throw new WardenError(
        'AUDIT_WRITE',
        `audit log ${this.path} was opened read-only; it cannot be appended to`,
      );
    }
    if (events.length === 0) return [];
    try {
      return this.appendTransaction(events, build);
    } catch (error) {
      if (error instanceof WardenError) throw error;
      throw new WardenError(
        'AUDIT_WRITE',
        `cannot append to audit log ${this.path}: ${errorMessage(error)}`,
        {
          cause: error,
        },
      );
    }
  }

  /** The latest (seq, hash); `{ seq: 0, hash: 64 zeros }` for an empty log. Publish it to anchor the chain. */
  head(): ChainHead {
    return this.statements.head.get() ?? this.statements.lastEvent.get() ?? { seq: 0, hash: GENESIS_HASH };
  }

  /** Recomputes the whole chain in one read snapshot. See verifyChain for what it catches. */
  verify(options: { expectHead?: ChainHead } = {}): VerifyResult {
    const run = this.db.transaction(() => {
      const head = this.statements.head.get();
      return verifyChain(this.statements.allEvents.iterate() as Iterable<EventRow>, head, options.expectHead);
    });
    return run();
  }

  /** Requests newest first, filtered. Throws USAGE on a malformed `since` or an unknown `status`. */
  listRequests(filter: ListRequestsFilter = {}): RequestSummary[] {
    const limit = filter.limit ?? DEFAULT_LIST_LIMIT;
    if (!Number.isInteger(limit) || limit < 1) {
      throw new WardenError('USAGE', `limit: expected a positive whole number, got ${limit}`);
    }
    const since = filter.since === undefined ? null : parseSince(filter.since, this.now().getTime());
    const status = filter.status === undefined ? null : parseStatus(filter.status);
    if (filter.tool !== undefined && filter.tool.trim() === '') {
      throw new WardenError('USAGE', 'tool: expected a name or a glob such as fs__* or *write*, got ""');
    }
    const matches = filter.tool === undefined ? undefined : picomatch(filter.tool);
    const rows = this.statements.listRequests.iterate({
      since,
      status,
      // The tool glob runs here, not in SQL: fetch until enough rows match.
      limit: matches ? -1 : limit,
    }) as IterableIterator<RequestRow>;
    const found: RequestSummary[] = [];
    for (const row of rows) {
      if (matches && !matches(row.exposed_name ?? '') && !matches(row.tool ?? '')) continue;
      found.push(rowToSummary(row));
      if (found.length >= limit) {
        rows.return?.();
        break;
      }
    }
    return found;
  }

  /** A request's summary and all its events in order, or undefined when no tool call has that id. */
  getRequest(requestId: string): { summary: RequestSummary; events: AuditEvent[] } | undefined {
    const read = this.db.transaction(() => {
      const row = this.statements.getRequest.get(requestId);
      if (!row) return undefined;
      const events = this.statements.requestEvents.all(requestId).map(rowToEvent);
      return { summary: rowToSummary(row), events };
    });
    return read();
  }

  /**
   * Events in seq order, streamed (for export). Iterate to the end or call `return()`: while it is open the
   * connection serves nothing else.
   */
  *events(options: { afterSeq?: number; limit?: number } = {}): Generator<AuditEvent, void, undefined> {
    const rows = this.statements.eventsFrom.iterate(
      options.afterSeq ?? 0,
      options.limit ?? -1,
    ) as IterableIterator<EventRow>;
    try {
      for (const row of rows) yield rowToEvent(row);
    } finally {
      rows.return?.();
    }
  }

  /** Closes the database. Safe to call twice. */
  close(): void {
    if (this.db.open) this.db.close();
  }

  private appendLocked(inputs: readonly AuditEventInput[], build: boolean): AuditEvent[] {
    const head = this.head();
    let seq = head.seq;
    let prevHash = head.hash;
    const stored: AuditEvent[] = [];
    const ts = this.now().toISOString();
    for (const input of inputs) {
      const dataText = serializeData(input);
      seq += 1;
      const requestId = input.requestId ?? null;
      const sessionId = input.sessionId ?? null;
      const hash = eventHashWithData(prevHash, { seq, ts, type: input.type, requestId, sessionId }, dataText);
      this.statements.insert.run(seq, ts, input.type, requestId, sessionId, dataText, prevHash, hash);
      if (build) {
        const event: AuditEvent = { seq, ts, type: input.type, data: JSON.parse(dataText), prevHash, hash };
        if (input.requestId !== undefined) event.requestId = input.requestId;
        if (input.sessionId !== undefined) event.sessionId = input.sessionId;
        stored.push(event);
      }
      prevHash = hash;
    }
    this.statements.setHead.run(seq, prevHash);
    return stored;
  }
}

/** Opens (creating it and its folder when writable) the audit log at `file`. */
export function openAuditStore(file: string, options: AuditStoreOptions = {}): AuditStore {
  return new AuditStore(file, options);
}

function checkSchema(db: Database.Database, file: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version === 0) {
    throw new WardenError(
      'AUDIT_OPEN',
      `${file} is not a Warden audit log (no schema); check --db or \`database\` in the config`,
    );
  }
  if (version > SCHEMA_VERSION) {
    throw new WardenError(
      'AUDIT_OPEN',
      `${file} has audit schema ${version}, newer than this Warden understands (${SCHEMA_VERSION}); upgrade Warden`,
    );
  }
}

/** Runs the missing migrations under the write lock, so processes opening a new file together migrate it once. */
function migrate(db: Database.Database): void {
  const run = db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new WardenError(
        'AUDIT_OPEN',
        `${db.name} has audit schema ${version}, newer than this Warden understands (${SCHEMA_VERSION}); upgrade Warden`,
      );
    }
    for (let next = version; next < SCHEMA_VERSION; next += 1) db.exec(MIGRATIONS[next]!);
    if (version !== SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
  });
  run.immediate();
}

function prepareStatements(db: Database.Database) {
  return {
    // Positional parameters: binding them is cheaper than looking names up in an object, on every event.
    insert: db.prepare<[number, string, string, string | null, string | null, string, string, string]>(
      'INSERT INTO events (seq, ts, type, request_id, session_id, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    head: db.prepare<[], ChainHead>('SELECT seq, hash FROM chain_head WHERE id = 1'),
    lastEvent: db.prepare<[], ChainHead>('SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1'),
    setHead: db.prepare<[number, string]>(
      `INSERT INTO chain_head (id, seq, hash) VALUES (1, ?, ?)
       ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`,
    ),
    allEvents: db.prepare<[], EventRow>('SELECT * FROM events ORDER BY seq'),
    eventsFrom: db.prepare<[number, number], EventRow>(
      'SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT ?',
    ),
    requestEvents: db.prepare<[string], EventRow>('SELECT * FROM events WHERE request_id = ? ORDER BY seq'),
    getRequest: db.prepare<[string], RequestRow>('SELECT * FROM requests WHERE request_id = ?'),
    listRequests: db.prepare<[{ since: string | null; status: string | null; limit: number }], RequestRow>(
      `SELECT * FROM requests
       WHERE (@since IS NULL OR ts >= @since) AND (@status IS NULL OR status = @status)
       ORDER BY seq DESC
       LIMIT @limit`,
    ),
  };
}

function serializeData(input: AuditEventInput): string {
  if (typeof input.type !== 'string' || input.type.length === 0) {
    throw new WardenError('AUDIT_WRITE', 'an audit event needs a non-empty type');
  }
  if (input.data === null || typeof input.data !== 'object' || Array.isArray(input.data)) {
    throw new WardenError('AUDIT_WRITE', `audit event ${input.type}: data must be an object`);
  }
  if (input.dataText !== undefined) return input.dataText;
  try {
    return canonicalJson(input.data);
  } catch (error) {
    throw new WardenError(
      'AUDIT_WRITE',
      `audit event ${input.type}: data has no JSON form: ${errorMessage(error)}`,
      {
        cause: error,
      },
    );
  }
}
