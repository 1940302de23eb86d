// The approval store: requests, decisions, messages, notifications and live processes, in the same SQLite file as
// the audit log, on a connection of its own. Plain reads and writes with prepared statements; the rules live in the
// broker, which runs them inside `write` transactions.
import { openSqliteFile } from '../sqlite.js';
import path from 'node:path';
import Database from 'better-sqlite3';
import { WardenError, errorMessage } from '../errors.js';
import { APPROVALS_MIGRATIONS, APPROVALS_SCHEMA_VERSION } from './store-schema.js';
import type {
  ApprovalDecision,
  ApprovalMessage,
  ApprovalNotification,
  ApprovalRequest,
  ApprovalRequestView,
  ApprovalStatus,
  DecisionKind,
} from './types.js';

export interface ApprovalStoreOptions {
  /** Open for reading only (the `warden requests` CLI): no migrations, writes throw. */
  readonly?: boolean;
  /** How long to wait for another process's write lock, in ms (default 5000). */
  busyTimeoutMs?: number;
}

/** Default and largest page for listings. */
const DEFAULT_LIST_LIMIT = 100;

interface RequestRow {
  id: string;
  status: ApprovalStatus;
  server: string;
  tool: string;
  exposed_name: string;
  args_hash: string;
  args_redacted: string;
  risk: string;
  reason: string;
  rules: string;
  policy_version: string;
  requester: string;
  agent: string;
  reviewer_specs: string;
  reviewers: string;
  quorum: number;
  approvals: number;
  timeout_ms: number;
  created_at: string;
  expires_at: string;
  gateway_session: string;
  gateway_pid: number;
  decided_at: string | null;
  outcome_reason: string | null;
  consumed_at: string | null;
  ran_ms: number | null;
  run_status: string | null;
  version: number;
}

interface DecisionRow {
  request_id: string;
  reviewer_id: string;
  identity_kind: ApprovalDecision['identity']['kind'];
  identity_value: string;
  channel: string;
  decision: DecisionKind;
  comment: string;
  at: string;
}

interface MessageRow {
  request_id: string;
  kind: ApprovalMessage['kind'];
  author: string;
  text: string;
  at: string;
}

interface NotificationRow {
  request_id: string;
  channel: string;
  message_id: string;
  details: string;
  at: string;
}

/** A request whose gateway may be gone: pending, or approved and not yet run. */
export interface OrphanCandidate {
  id: string;
  gatewaySession: string;
  gatewayPid: number;
  status: ApprovalStatus;
}

/**
 * An open connection to the approval tables. Several processes (gateways, the review service) each open their own;
 * SQLite's write lock serializes their `write` transactions, and WAL lets readers go on meanwhile.
 */
export class ApprovalStore {
  readonly path: string;
  readonly readonly: boolean;
  private readonly db: Database.Database;
  private readonly sql: ReturnType<typeof prepareStatements>;

  constructor(file: string, options: ApprovalStoreOptions = {}) {
    this.path = file === ':memory:' ? file : path.resolve(file);
    this.readonly = options.readonly ?? false;
    let db = openSqliteFile(this.path, this.readonly, options.busyTimeoutMs ?? 5_000, {
      code: 'APPROVALS_OPEN',
      what: 'database',
    });
    try {
      if (this.readonly && !hasSchema(db, this.path)) {
        // Nothing has needed approval in this file yet: read from empty tables rather than fail.
        db.close();
        db = new Database(':memory:');
        migrate(db);
      } else if (!this.readonly) {
        db.pragma('synchronous = NORMAL');
        migrate(db);
      }
      this.sql = prepareStatements(db);
    } catch (error) {
      db.close();
      throw error instanceof WardenError
        ? error
        : new WardenError(
            'APPROVALS_OPEN',
            `cannot open the approval tables in ${this.path}: ${errorMessage(error)}`,
            {
              cause: error,
            },
          );
    }
    this.db = db;
  }

  /** True once close() ran. */
  get closed(): boolean {
    return !this.db.open;
  }

  /**
   * Runs `body` in a `BEGIN IMMEDIATE` transaction: it holds the write lock from the start, so what it reads cannot
   * change before it writes. Rolls back when `body` throws.
   */
  write<T>(body: () => T): T {
    if (this.readonly) {
      throw new WardenError('APPROVALS_WRITE', `${this.path} was opened read-only; approvals cannot change`);
    }
    try {
      return this.db.transaction(body).immediate();
    } catch (error) {
      if (error instanceof WardenError) throw error;
      throw new WardenError(
        'APPROVALS_WRITE',
        `cannot write approvals in ${this.path}: ${errorMessage(error)}`,
        {
          cause: error,
        },
      );
    }
  }

  /** Runs `body` in one read snapshot. */
  read<T>(body: () => T): T {
    return this.db.transaction(body).deferred();
  }

  insertRequest(request: ApprovalRequest, approvals = 0): void {
    this.sql.insertRequest.run({
      id: request.id,
      status: request.status,
      server: request.server,
      tool: request.tool,
      exposed_name: request.exposedName,
      args_hash: request.argsHash,
      args_redacted: JSON.stringify(request.argsRedacted ?? null),
      risk: request.risk,
      reason: request.reason,
      rules: JSON.stringify(request.rules),
      policy_version: request.policyVersion,
      requester: JSON.stringify(request.requester),
      agent: JSON.stringify(request.agent),
      reviewer_specs: JSON.stringify(request.reviewerSpecs),
      reviewers: JSON.stringify(request.reviewers),
      quorum: request.quorum,
      approvals,
      timeout_ms: request.timeoutMs,
      created_at: request.createdAt,
      expires_at: request.expiresAt,
      gateway_session: request.gatewaySession,
      gateway_pid: request.gatewayPid,
      decided_at: request.decidedAt ?? null,
      outcome_reason: request.outcomeReason ?? null,
      consumed_at: request.consumedAt ?? null,
      version: request.version,
    });
  }

  /** The request with its decisions and messages, or undefined. */
  view(id: string): ApprovalRequestView | undefined {
    return this.read(() => {
      const row = this.sql.getRequest.get(id);
      return row && this.toView(row);
    });
  }

  /** Newest first. */
  list(filter: { status?: ApprovalStatus; limit?: number } = {}): ApprovalRequestView[] {
    const limit = filter.limit ?? DEFAULT_LIST_LIMIT;
    if (!Number.isInteger(limit) || limit < 1) {
      throw new WardenError('USAGE', `limit: expected a positive whole number, got ${limit}`);
    }
    return this.read(() =>
      this.sql.listRequests.all({ status: filter.status ?? null, limit }).map((row) => this.toView(row)),
    );
  }

  version(id: string): number | undefined {
    return this.sql.version.get(id)?.version;
  }

  /** Ends a pending request. False when it is not pending (any other status is final). */
  finishPending(id: string, status: ApprovalStatus, at: string, reason: string): boolean {
    return this.sql.finishPending.run({ id, status, at, reason }).changes === 1;
  }

  /** Marks a pending or approved-but-unconsumed request abandoned. */
  abandon(id: string, at: string, reason: string): boolean {
    return this.sql.abandon.run({ id, at, reason }).changes === 1;
  }

  /** Single use: sets consumed_at on an approved, unconsumed request with this exact args hash. */
  consume(id: string, argsHash: string, at: string): boolean {
    return this.sql.consume.run({ id, args_hash: argsHash, at }).changes === 1;
  }

  /** Records how the consumed call went (once), and bumps the version so channels refresh their cards. */
  recordRun(id: string, ms: number, status: string): boolean {
    return this.sql.recordRun.run({ id, ms, status }).changes === 1;
  }

  /** Records the distinct-people count and bumps the version. */
  setApprovals(id: string, approvals: number): void {
    this.sql.setApprovals.run({ id, approvals });
  }

  /** Bumps the version, so waiters notice a change that is not a status change (a question, an answer). */
  touch(id: string): void {
    this.sql.touch.run(id);
  }

  insertDecision(decision: ApprovalDecision): void {
    this.sql.insertDecision.run({
      request_id: decision.requestId,
      reviewer_id: decision.reviewerId,
      identity_kind: decision.identity.kind,
      identity_value: decision.identity.value,
      channel: decision.identity.channel,
      decision: decision.decision,
      comment: decision.comment,
      at: decision.at,
    });
  }

  insertMessage(message: ApprovalMessage): void {
    this.sql.insertMessage.run({
      request_id: message.requestId,
      kind: message.kind,
      author: message.author,
      text: message.text,
      at: message.at,
    });
  }

  insertNotification(notification: ApprovalNotification): void {
    this.sql.insertNotification.run({
      request_id: notification.requestId,
      channel: notification.channel,
      message_id: notification.messageId,
      details: JSON.stringify(notification.details),
      at: notification.at,
    });
  }

  /**
   * Claims posting `id` on `channel` for review service `instance`, or finds who has it: `post` (claimed, not posted
   * yet), `update` (claimed, already posted: keep it up to date), `other` (a service seen since `aliveSince` has it).
   * A claim of a service not seen since then passes to `instance`. Call inside write().
   */
  claimNotification(
    id: string,
    channel: string,
    instance: string,
    at: string,
    aliveSince: string,
  ): 'post' | 'update' | 'other' {
    const claim = this.sql.notifyClaim.get(id, channel);
    if (claim && claim.instance_id !== instance) {
      if (this.sql.reviewServiceAlive.get(claim.instance_id, aliveSince)) return 'other';
      this.sql.takeNotifyClaim.run({ request_id: id, channel, instance_id: instance, at });
    } else if (!claim) {
      this.sql.insertNotifyClaim.run({ request_id: id, channel, instance_id: instance, at });
    }
    return this.sql.notified.get(id, channel) ? 'update' : 'post';
  }

  /** Whether a live service other than `instance` holds the claim: readable without the write lock. */
  claimedByOther(id: string, channel: string, instance: string, aliveSince: string): boolean {
    const claim = this.sql.notifyClaim.get(id, channel);
    return (
      claim !== undefined &&
      claim.instance_id !== instance &&
      this.sql.reviewServiceAlive.get(claim.instance_id, aliveSince) !== undefined
    );
  }

  notifications(id: string): ApprovalNotification[] {
    return this.sql.notifications.all(id).map((row) => ({
      requestId: row.request_id,
      channel: row.channel,
      messageId: row.message_id,
      details: JSON.parse(row.details) as Record<string, unknown>,
      at: row.at,
    }));
  }

  /** Pending requests with no notification on `channel` yet, oldest first (what a channel still has to post). */
  unnotified(channel: string): ApprovalRequestView[] {
    return this.read(() => this.sql.unnotified.all(channel).map((row) => this.toView(row)));
  }

  /** Ids of pending requests whose expiry is at or before `at`. */
  pendingDue(at: string): string[] {
    return this.sql.pendingDue.all(at).map((row) => row.id);
  }

  orphanCandidates(): OrphanCandidate[] {
    return this.sql.orphanCandidates.all().map((row) => ({
      id: row.id,
      gatewaySession: row.gateway_session,
      gatewayPid: row.gateway_pid,
      status: row.status,
    }));
  }

  upsertGateway(session: string, pid: number, at: string): void {
    this.sql.upsertGateway.run({ id: session, pid, at });
  }

  touchGateway(session: string, at: string): boolean {
    return this.sql.touchGateway.run({ id: session, at }).changes === 1;
  }

  deleteGateway(session: string): boolean {
    return this.sql.deleteGateway.run(session).changes === 1;
  }

  /** Last heartbeat of each gateway session, by session id. */
  gatewaySeen(): Map<string, string> {
    return new Map(this.sql.gateways.all().map((row) => [row.session_id, row.last_seen]));
  }

  upsertReviewService(instance: string, pid: number, at: string): void {
    this.sql.upsertReviewService.run({ id: instance, pid, at });
  }

  touchReviewService(instance: string, at: string): boolean {
    return this.sql.touchReviewService.run({ id: instance, at }).changes === 1;
  }

  deleteReviewService(instance: string): boolean {
    return this.sql.deleteReviewService.run(instance).changes === 1;
  }

  /** Whether any review service sent a heartbeat at or after `since`. */
  reviewServiceSeenSince(since: string): boolean {
    return this.sql.reviewServiceSeen.get(since) !== undefined;
  }

  /** Closes the connection. Safe to call twice. */
  close(): void {
    if (this.db.open) this.db.close();
  }

  private toView(row: RequestRow): ApprovalRequestView {
    return {
      ...rowToRequest(row),
      decisions: this.sql.decisions.all(row.id).map(rowToDecision),
      messages: this.sql.messages.all(row.id).map(rowToMessage),
      approvals: row.approvals,
    };
  }
}

/** Opens (creating its tables when writable) the approval store in the SQLite file `file`. */
export function openApprovalStore(file: string, options: ApprovalStoreOptions = {}): ApprovalStore {
  return new ApprovalStore(file, options);
}

function rowToRequest(row: RequestRow): ApprovalRequest {
  const request: ApprovalRequest = {
    id: row.id,
    status: row.status,
    server: row.server,
    tool: row.tool,
    exposedName: row.exposed_name,
    argsHash: row.args_hash,
    argsRedacted: JSON.parse(row.args_redacted) as unknown,
    risk: row.risk,
    reason: row.reason,
    rules: JSON.parse(row.rules) as string[],
    policyVersion: row.policy_version,
    requester: JSON.parse(row.requester) as ApprovalRequest['requester'],
    agent: JSON.parse(row.agent) as ApprovalRequest['agent'],
    reviewerSpecs: JSON.parse(row.reviewer_specs) as string[],
    reviewers: JSON.parse(row.reviewers) as string[],
    quorum: row.quorum,
    timeoutMs: row.timeout_ms,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    gatewaySession: row.gateway_session,
    gatewayPid: row.gateway_pid,
    version: row.version,
  };
  if (row.decided_at !== null) request.decidedAt = row.decided_at;
  if (row.outcome_reason !== null) request.outcomeReason = row.outcome_reason;
  if (row.consumed_at !== null) request.consumedAt = row.consumed_at;
  if (row.ran_ms !== null) request.ranMs = row.ran_ms;
  if (row.run_status !== null) request.runStatus = row.run_status;
  return request;
}

function rowToDecision(row: DecisionRow): ApprovalDecision {
  return {
    requestId: row.request_id,
    reviewerId: row.reviewer_id,
    identity: {
      reviewerId: row.reviewer_id,
      kind: row.identity_kind,
      value: row.identity_value,
      channel: row.channel,
    },
    decision: row.decision,
    comment: row.comment,
    at: row.at,
  };
}

function rowToMessage(row: MessageRow): ApprovalMessage {
  return { requestId: row.request_id, kind: row.kind, author: row.author, text: row.text, at: row.at };
}

function hasSchema(db: Database.Database, file: string): boolean {
  const meta = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'approvals_meta'")
    .get();
  if (meta === undefined) return false;
  checkVersion(db, file);
  return true;
}

function checkVersion(db: Database.Database, file: string): number {
  const row = db.prepare('SELECT version FROM approvals_meta').get() as { version: number } | undefined;
  const version = row?.version ?? 0;
  if (version > APPROVALS_SCHEMA_VERSION) {
    throw new WardenError(
      'APPROVALS_OPEN',
      `${file} has approval schema ${version}, newer than this Warden understands (${APPROVALS_SCHEMA_VERSION}); upgrade Warden`,
    );
  }
  return version;
}

/** Creates or upgrades the tables under the write lock, so processes opening a new file together do it once. */
function migrate(db: Database.Database): void {
  const run = db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS approvals_meta (version INTEGER NOT NULL)');
    const version = checkVersion(db, db.name);
    for (let next = version; next < APPROVALS_SCHEMA_VERSION; next += 1) db.exec(APPROVALS_MIGRATIONS[next]!);
    if (version === 0)
      db.prepare('INSERT INTO approvals_meta (version) VALUES (?)').run(APPROVALS_SCHEMA_VERSION);
    else if (version !== APPROVALS_SCHEMA_VERSION) {
      db.prepare('UPDATE approvals_meta SET version = ?').run(APPROVALS_SCHEMA_VERSION);
    }
  });
  run.immediate();
}

function prepareStatements(db: Database.Database) {
  return {
    insertRequest: db.prepare<[Record<string, unknown>]>(
      `INSERT INTO approval_requests (
         id, status, server, tool, exposed_name, args_hash, args_redacted, risk, reason, rules, policy_version,
         requester, agent, reviewer_specs, reviewers, quorum, approvals, timeout_ms, created_at, expires_at,
         gateway_session, gateway_pid, decided_at, outcome_reason, consumed_at, version)
       VALUES (
         @id, @status, @server, @tool, @exposed_name, @args_hash, @args_redacted, @risk, @reason, @rules,
         @policy_version, @requester, @agent, @reviewer_specs, @reviewers, @quorum, @approvals, @timeout_ms,
         @created_at, @expires_at, @gateway_session, @gateway_pid, @decided_at, @outcome_reason, @consumed_at,
         @version)`,
    ),
    getRequest: db.prepare<[string], RequestRow>('SELECT * FROM approval_requests WHERE id = ?'),
    listRequests: db.prepare<[{ status: string | null; limit: number }], RequestRow>(
      `SELECT * FROM approval_requests WHERE (@status IS NULL OR status = @status)
       ORDER BY created_at DESC, rowid DESC LIMIT @limit`,
    ),
    version: db.prepare<[string], { version: number }>('SELECT version FROM approval_requests WHERE id = ?'),
    finishPending: db.prepare<[{ id: string; status: string; at: string; reason: string }]>(
      `UPDATE approval_requests SET status = @status, decided_at = @at, outcome_reason = @reason,
         version = version + 1
       WHERE id = @id AND status = 'pending'`,
    ),
    abandon: db.prepare<[{ id: string; at: string; reason: string }]>(
      `UPDATE approval_requests SET status = 'abandoned', decided_at = @at, outcome_reason = @reason,
         version = version + 1
       WHERE id = @id AND consumed_at IS NULL AND status IN ('pending', 'approved')`,
    ),
    consume: db.prepare<[{ id: string; args_hash: string; at: string }]>(
      `UPDATE approval_requests SET consumed_at = @at, version = version + 1
       WHERE id = @id AND status = 'approved' AND consumed_at IS NULL AND args_hash = @args_hash`,
    ),
    recordRun: db.prepare<[{ id: string; ms: number; status: string }]>(
      `UPDATE approval_requests SET ran_ms = @ms, run_status = @status, version = version + 1
       WHERE id = @id AND consumed_at IS NOT NULL AND ran_ms IS NULL`,
    ),
    setApprovals: db.prepare<[{ id: string; approvals: number }]>(
      'UPDATE approval_requests SET approvals = @approvals, version = version + 1 WHERE id = @id',
    ),
    touch: db.prepare<[string]>('UPDATE approval_requests SET version = version + 1 WHERE id = ?'),
    insertDecision: db.prepare<[Record<string, unknown>]>(
      `INSERT INTO approval_decisions
         (request_id, reviewer_id, identity_kind, identity_value, channel, decision, comment, at)
       VALUES (@request_id, @reviewer_id, @identity_kind, @identity_value, @channel, @decision, @comment, @at)`,
    ),
    decisions: db.prepare<[string], DecisionRow>(
      'SELECT * FROM approval_decisions WHERE request_id = ? ORDER BY seq',
    ),
    insertMessage: db.prepare<[Record<string, unknown>]>(
      `INSERT INTO approval_messages (request_id, kind, author, text, at)
       VALUES (@request_id, @kind, @author, @text, @at)`,
    ),
    messages: db.prepare<[string], MessageRow>(
      'SELECT * FROM approval_messages WHERE request_id = ? ORDER BY seq',
    ),
    insertNotification: db.prepare<[Record<string, unknown>]>(
      `INSERT INTO approval_notifications (request_id, channel, message_id, details, at)
       VALUES (@request_id, @channel, @message_id, @details, @at)`,
    ),
    notifications: db.prepare<[string], NotificationRow>(
      'SELECT * FROM approval_notifications WHERE request_id = ? ORDER BY seq',
    ),
    unnotified: db.prepare<[string], RequestRow>(
      `SELECT * FROM approval_requests AS r
       WHERE r.status = 'pending'
         AND NOT EXISTS (SELECT 1 FROM approval_notifications AS n WHERE n.request_id = r.id AND n.channel = ?)
       ORDER BY r.created_at, r.rowid`,
    ),
    pendingDue: db.prepare<[string], { id: string }>(
      `SELECT id FROM approval_requests WHERE status = 'pending' AND expires_at <= ? ORDER BY expires_at`,
    ),
    orphanCandidates: db.prepare<[], Pick<RequestRow, 'id' | 'gateway_session' | 'gateway_pid' | 'status'>>(
      `SELECT id, gateway_session, gateway_pid, status FROM approval_requests
       WHERE status = 'pending' OR (status = 'approved' AND consumed_at IS NULL)
       ORDER BY created_at`,
    ),
    upsertGateway: db.prepare<[{ id: string; pid: number; at: string }]>(
      `INSERT INTO gateway_sessions (session_id, pid, started_at, last_seen) VALUES (@id, @pid, @at, @at)
       ON CONFLICT (session_id) DO UPDATE SET pid = excluded.pid, last_seen = excluded.last_seen`,
    ),
    touchGateway: db.prepare<[{ id: string; at: string }]>(
      'UPDATE gateway_sessions SET last_seen = @at WHERE session_id = @id',
    ),
    deleteGateway: db.prepare<[string]>('DELETE FROM gateway_sessions WHERE session_id = ?'),
    gateways: db.prepare<[], { session_id: string; last_seen: string }>(
      'SELECT session_id, last_seen FROM gateway_sessions',
    ),
    upsertReviewService: db.prepare<[{ id: string; pid: number; at: string }]>(
      `INSERT INTO review_services (instance_id, pid, started_at, last_seen) VALUES (@id, @pid, @at, @at)
       ON CONFLICT (instance_id) DO UPDATE SET pid = excluded.pid, last_seen = excluded.last_seen`,
    ),
    touchReviewService: db.prepare<[{ id: string; at: string }]>(
      'UPDATE review_services SET last_seen = @at WHERE instance_id = @id',
    ),
    deleteReviewService: db.prepare<[string]>('DELETE FROM review_services WHERE instance_id = ?'),
    reviewServiceSeen: db.prepare<[string], { found: number }>(
      'SELECT 1 AS found FROM review_services WHERE last_seen >= ? LIMIT 1',
    ),
    reviewServiceAlive: db.prepare<[string, string], { found: number }>(
      'SELECT 1 AS found FROM review_services WHERE instance_id = ? AND last_seen >= ?',
    ),
    notifyClaim: db.prepare<[string, string], { instance_id: string }>(
      'SELECT instance_id FROM approval_notify_claims WHERE request_id = ? AND channel = ?',
    ),
    insertNotifyClaim: db.prepare<[Record<string, unknown>]>(
      `INSERT INTO approval_notify_claims (request_id, channel, instance_id, at)
       VALUES (@request_id, @channel, @instance_id, @at)`,
    ),
    takeNotifyClaim: db.prepare<[Record<string, unknown>]>(
      `UPDATE approval_notify_claims SET instance_id = @instance_id, at = @at
       WHERE request_id = @request_id AND channel = @channel`,
    ),
    notified: db.prepare<[string, string], { found: number }>(
      'SELECT 1 AS found FROM approval_notifications WHERE request_id = ? AND channel = ? LIMIT 1',
    ),
  };
}
