// The approval tables, in the audit log's SQLite file, as numbered migrations recorded in `approvals_meta`.
// They have their own version (the audit log keeps `PRAGMA user_version` for itself).

/** Migration N (1-based) brings the approval tables from version N-1 to N. Append only. */
export const APPROVALS_MIGRATIONS: readonly string[] = [
  `
  -- One row per request: bound to one exact call (args_hash), single use (consumed_at). JSON columns hold lists and
  -- identities. Times are ISO-8601 UTC strings, so they compare as text.
  CREATE TABLE approval_requests (
    id              TEXT PRIMARY KEY,
    status          TEXT NOT NULL,
    server          TEXT NOT NULL,
    tool            TEXT NOT NULL,
    exposed_name    TEXT NOT NULL,
    args_hash       TEXT NOT NULL,
    args_redacted   TEXT NOT NULL,
    risk            TEXT NOT NULL,
    reason          TEXT NOT NULL,
    rules           TEXT NOT NULL,
    policy_version  TEXT NOT NULL,
    requester       TEXT NOT NULL,
    agent           TEXT NOT NULL,
    reviewer_specs  TEXT NOT NULL,
    reviewers       TEXT NOT NULL,
    quorum          INTEGER NOT NULL,
    approvals       INTEGER NOT NULL DEFAULT 0,
    timeout_ms      INTEGER NOT NULL,
    created_at      TEXT NOT NULL,
    expires_at      TEXT NOT NULL,
    gateway_session TEXT NOT NULL,
    gateway_pid     INTEGER NOT NULL,
    decided_at      TEXT,
    outcome_reason  TEXT,
    consumed_at     TEXT,
    -- How the approved call went once it ran: shown on the Teams card ("ran in 120 ms").
    ran_ms          REAL,
    run_status      TEXT,
    version         INTEGER NOT NULL DEFAULT 1
  );
  CREATE INDEX approval_requests_status ON approval_requests (status, expires_at);
  CREATE INDEX approval_requests_created ON approval_requests (created_at);

  -- Accepted decisions only; refused attempts are in the audit log (approval.refused).
  CREATE TABLE approval_decisions (
    seq            INTEGER PRIMARY KEY,
    request_id     TEXT NOT NULL REFERENCES approval_requests (id),
    reviewer_id    TEXT NOT NULL,
    identity_kind  TEXT NOT NULL,
    identity_value TEXT NOT NULL,
    channel        TEXT NOT NULL,
    decision       TEXT NOT NULL,
    comment        TEXT NOT NULL,
    at             TEXT NOT NULL
  );
  CREATE INDEX approval_decisions_request ON approval_decisions (request_id);

  -- Reviewers' questions and the agent's answers, in order.
  CREATE TABLE approval_messages (
    seq        INTEGER PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES approval_requests (id),
    kind       TEXT NOT NULL,
    author     TEXT NOT NULL,
    text       TEXT NOT NULL,
    at         TEXT NOT NULL
  );
  CREATE INDEX approval_messages_request ON approval_messages (request_id);

  -- What each channel posted for a request (a Teams activity and its conversation), to update it later.
  CREATE TABLE approval_notifications (
    seq        INTEGER PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES approval_requests (id),
    channel    TEXT NOT NULL,
    message_id TEXT NOT NULL,
    details    TEXT NOT NULL,
    at         TEXT NOT NULL
  );
  CREATE INDEX approval_notifications_request ON approval_notifications (request_id);

  -- Live processes: a gateway's requests die with it; a gateway waits only while a review service is alive.
  CREATE TABLE gateway_sessions (
    session_id TEXT PRIMARY KEY,
    pid        INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    last_seen  TEXT NOT NULL
  );
  CREATE TABLE review_services (
    instance_id TEXT PRIMARY KEY,
    pid         INTEGER NOT NULL,
    started_at  TEXT NOT NULL,
    last_seen   TEXT NOT NULL
  );
  `,
  `
  -- Which review service posts a request on a channel (and keeps that post up to date): the first to claim it. With
  -- several services on one file (two gateways with review.inProcess, or one beside \`warden review\`), each card is
  -- posted once. A claim whose service stopped sending heartbeats is taken over by a live one.
  CREATE TABLE approval_notify_claims (
    request_id  TEXT NOT NULL REFERENCES approval_requests (id),
    channel     TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    at          TEXT NOT NULL,
    PRIMARY KEY (request_id, channel)
  );
  `,
];

/** The approval schema version this build writes and reads. */
export const APPROVALS_SCHEMA_VERSION = APPROVALS_MIGRATIONS.length;
