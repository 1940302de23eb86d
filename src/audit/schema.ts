// The audit database's schema, as numbered migrations recorded in `PRAGMA user_version`.

/**
 * Migration N (1-based) brings a database from user_version N-1 to N. Append only: never edit a shipped migration,
 * add a new one (a changed `requests` view is a DROP VIEW + CREATE VIEW in the next migration).
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE events (
    seq        INTEGER PRIMARY KEY,
    ts         TEXT NOT NULL,
    type       TEXT NOT NULL,
    request_id TEXT,
    session_id TEXT,
    data       TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
  );
  -- One secondary index only: every index is another page written per commit on the gateway's hot path. Listings
  -- walk the rowid newest first (ts grows with seq), and per-request lookups use request_id.
  CREATE INDEX events_request_id ON events (request_id);

  -- The latest link, written in the same transaction as each event: deleting the tail of the chain leaves it behind.
  CREATE TABLE chain_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT NOT NULL
  );

  -- Append-only. These stop mistakes and naive edits; verify() catches anyone who drops them.
  CREATE TRIGGER events_no_update BEFORE UPDATE ON events
  BEGIN SELECT RAISE(ABORT, 'audit events are append-only: UPDATE is not allowed'); END;
  CREATE TRIGGER events_no_delete BEFORE DELETE ON events
  BEGIN SELECT RAISE(ABORT, 'audit events are append-only: DELETE is not allowed'); END;
  -- Security: INSERT OR REPLACE deletes the old row without firing the DELETE trigger.
  CREATE TRIGGER events_no_replace BEFORE INSERT ON events
  WHEN EXISTS (SELECT 1 FROM events WHERE seq = NEW.seq)
  BEGIN SELECT RAISE(ABORT, 'audit events are append-only: an event with this seq exists'); END;
  CREATE TRIGGER chain_head_no_delete BEFORE DELETE ON chain_head
  BEGIN SELECT RAISE(ABORT, 'the audit chain head cannot be deleted'); END;

  -- One row per tool call: its intent (or its rejection, when it never got that far) joined with its last terminal
  -- event (call.denied, call.rejected or call.outcome), and who approved or rejected it. No terminal event yet means
  -- the call is in flight, or waiting for a human (pending_approval).
  CREATE VIEW requests AS
  SELECT
    b.seq AS seq,
    b.request_id AS request_id,
    b.ts AS ts,
    b.session_id AS session_id,
    i.data ->> '$.principal.id' AS principal,
    NULLIF(concat_ws('/', i.data ->> '$.agent.name', i.data ->> '$.agent.version'), '') AS agent,
    i.data ->> '$.server' AS server,
    i.data ->> '$.tool' AS tool,
    COALESCE(i.data ->> '$.exposedName', b.data ->> '$.exposedName') AS exposed_name,
    i.data -> '$.args' AS args,
    i.data ->> '$.argsHash' AS args_hash,
    i.data ->> '$.risk' AS risk,
    i.data ->> '$.action' AS action,
    CASE WHEN i.seq IS NULL THEN '[]' ELSE (
      SELECT json_group_array(CASE r.type WHEN 'object' THEN r.value ->> '$.ruleId' ELSE r.value END)
      FROM json_each(i.data, '$.rules') AS r
    ) END AS rules,
    CASE
      WHEN t.type = 'call.denied' THEN COALESCE(t.data ->> '$.approval', 'deny')
      WHEN i.seq IS NULL THEN NULL
      WHEN i.data ->> '$.action' = 'approve' AND ap.seq IS NOT NULL THEN 'approved'
      ELSE i.data ->> '$.action'
    END AS decision,
    CASE t.type
      WHEN 'call.denied' THEN 'denied'
      WHEN 'call.rejected' THEN 'rejected'
      WHEN 'call.outcome' THEN COALESCE(t.data ->> '$.status', 'failed')
      ELSE CASE WHEN i.data ->> '$.action' = 'approve' AND ap.seq IS NULL THEN 'pending_approval' ELSE 'in_flight' END
    END AS status,
    ap.data -> '$.approvedBy' AS approved_by,
    rj.data ->> '$.reviewerId' AS rejected_by,
    CASE WHEN t.type = 'call.outcome' THEN t.data ->> '$.durationMs' END AS duration_ms,
    t.ts AS finished_at,
    COALESCE(
      CASE WHEN t.type IN ('call.denied', 'call.rejected') THEN t.data ->> '$.reason' END,
      i.data ->> '$.reason'
    ) AS reason,
    CASE WHEN t.type = 'call.outcome' THEN t.data ->> '$.error' END AS error,
    CASE WHEN t.type = 'call.outcome' THEN t.data ->> '$.excerpt' END AS excerpt,
    i.data ->> '$.policyVersion' AS policy_version
  FROM events AS b
  LEFT JOIN events AS i ON i.seq = b.seq AND b.type = 'call.intent'
  LEFT JOIN events AS ap ON ap.seq = (
    SELECT MAX(x.seq) FROM events AS x WHERE x.request_id = b.request_id AND x.type = 'approval.approved'
  )
  LEFT JOIN events AS rj ON rj.seq = (
    SELECT MAX(x.seq) FROM events AS x WHERE x.request_id = b.request_id AND x.type = 'approval.rejected'
  )
  LEFT JOIN events AS t ON t.seq = (
    SELECT MAX(x.seq) FROM events AS x
    WHERE x.request_id = b.request_id AND x.type IN ('call.denied', 'call.rejected', 'call.outcome')
  )
  -- The unary + keeps newest-first listings on the rowid, so they stop early.
  WHERE +b.type IN ('call.intent', 'call.rejected')
    AND b.request_id IS NOT NULL
    -- The base row is the request's first intent; a rejection only when the request has no intent.
    AND NOT EXISTS (
      SELECT 1 FROM events AS y
      WHERE y.request_id = b.request_id
        AND ((y.type = b.type AND y.seq < b.seq) OR (b.type = 'call.rejected' AND y.type = 'call.intent'))
    );
  `,
  `
  -- 2: the requests view. A call whose approval ended without the call's own terminal event (its gateway stopped or
  -- died while it waited: approval.cancelled, approval.abandoned…) is denied, not pending forever; a call Warden
  -- refused as bad input (call.rejected) is "invalid" ("unavailable" when its server was not running), so that
  -- "rejected" is not mistaken for a reviewer's
  -- rejection; principal and agent come from whichever event the row is based on (a rejection carries them too).
  DROP VIEW requests;
  CREATE VIEW requests AS
  SELECT
    b.seq AS seq,
    b.request_id AS request_id,
    b.ts AS ts,
    b.session_id AS session_id,
    b.data ->> '$.principal.id' AS principal,
    NULLIF(concat_ws('/', b.data ->> '$.agent.name', b.data ->> '$.agent.version'), '') AS agent,
    i.data ->> '$.server' AS server,
    i.data ->> '$.tool' AS tool,
    COALESCE(i.data ->> '$.exposedName', b.data ->> '$.exposedName') AS exposed_name,
    i.data -> '$.args' AS args,
    i.data ->> '$.argsHash' AS args_hash,
    i.data ->> '$.risk' AS risk,
    i.data ->> '$.action' AS action,
    CASE WHEN i.seq IS NULL THEN '[]' ELSE (
      SELECT json_group_array(CASE r.type WHEN 'object' THEN r.value ->> '$.ruleId' ELSE r.value END)
      FROM json_each(i.data, '$.rules') AS r
    ) END AS rules,
    CASE
      WHEN t.type = 'call.denied' THEN COALESCE(t.data ->> '$.approval', 'deny')
      WHEN i.seq IS NULL THEN NULL
      WHEN t.seq IS NULL AND af.seq IS NOT NULL THEN substr(af.type, 10)
      WHEN i.data ->> '$.action' = 'approve' AND ap.seq IS NOT NULL THEN 'approved'
      ELSE i.data ->> '$.action'
    END AS decision,
    CASE t.type
      WHEN 'call.denied' THEN 'denied'
      WHEN 'call.rejected' THEN CASE WHEN t.data ->> '$.unavailable' IS NULL THEN 'invalid' ELSE 'unavailable' END
      WHEN 'call.outcome' THEN COALESCE(t.data ->> '$.status', 'failed')
      ELSE CASE
        WHEN af.seq IS NOT NULL THEN 'denied'
        WHEN i.data ->> '$.action' = 'approve' AND ap.seq IS NULL THEN 'pending_approval'
        ELSE 'in_flight'
      END
    END AS status,
    ap.data -> '$.approvedBy' AS approved_by,
    rj.data ->> '$.reviewerId' AS rejected_by,
    CASE WHEN t.type = 'call.outcome' THEN t.data ->> '$.durationMs' END AS duration_ms,
    COALESCE(t.ts, af.ts) AS finished_at,
    COALESCE(
      CASE WHEN t.type IN ('call.denied', 'call.rejected') THEN t.data ->> '$.reason' END,
      CASE WHEN t.seq IS NULL THEN af.data ->> '$.reason' END,
      i.data ->> '$.reason'
    ) AS reason,
    CASE WHEN t.type = 'call.outcome' THEN t.data ->> '$.error' END AS error,
    CASE WHEN t.type = 'call.outcome' THEN t.data ->> '$.excerpt' END AS excerpt,
    i.data ->> '$.policyVersion' AS policy_version
  FROM events AS b
  LEFT JOIN events AS i ON i.seq = b.seq AND b.type = 'call.intent'
  LEFT JOIN events AS ap ON ap.seq = (
    SELECT MAX(x.seq) FROM events AS x WHERE x.request_id = b.request_id AND x.type = 'approval.approved'
  )
  LEFT JOIN events AS rj ON rj.seq = (
    SELECT MAX(x.seq) FROM events AS x WHERE x.request_id = b.request_id AND x.type = 'approval.rejected'
  )
  -- An approval that ended without the call's own terminal event (a gateway that stopped or died while it waited).
  LEFT JOIN events AS af ON af.seq = (
    SELECT MAX(x.seq) FROM events AS x
    WHERE x.request_id = b.request_id
      AND x.type IN ('approval.rejected', 'approval.expired', 'approval.cancelled', 'approval.failed', 'approval.abandoned')
  )
  LEFT JOIN events AS t ON t.seq = (
    SELECT MAX(x.seq) FROM events AS x
    WHERE x.request_id = b.request_id AND x.type IN ('call.denied', 'call.rejected', 'call.outcome')
  )
  -- The unary + keeps newest-first listings on the rowid, so they stop early.
  WHERE +b.type IN ('call.intent', 'call.rejected')
    AND b.request_id IS NOT NULL
    -- The base row is the request's first intent; a rejection only when the request has no intent.
    AND NOT EXISTS (
      SELECT 1 FROM events AS y
      WHERE y.request_id = b.request_id
        AND ((y.type = b.type AND y.seq < b.seq) OR (b.type = 'call.rejected' AND y.type = 'call.intent'))
    );
  `,
];

/** The schema version this build writes and reads. */
export const SCHEMA_VERSION = MIGRATIONS.length;
