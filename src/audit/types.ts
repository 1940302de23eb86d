// The shape of audit events: the contract between the gateway (which writes them) and the auditor's tools.

/**
 * Event types written by the gateway. Later features add their own (`approval.*`); readers must accept unknown types.
 *
 * - `gateway.started` / `gateway.stopped`: data `{ pid, principal, configPath, policyVersion }`
 * - `server.connected`: `{ server, transport, toolCount }`; `server.failed`: `{ server, error }`;
 *   `server.restarted`: `{ server, attempt }`; `server.crashed`: `{ server, error, inFlight }`
 * - `policy.loaded`: `{ version, files, ruleCount }`; `policy.reload_failed`: `{ files, error }`
 * - `call.intent` (before anything runs): `CallIntentData`
 * - `call.denied`: `{ reason, risk, action, rules }`
 * - `call.rejected` (bad input before policy: unknown tool, oversized arguments): `{ exposedName, reason, argsBytes?,
 *   principal, agent, unavailable? }` (the request's status is then `invalid`, or `unavailable` when `unavailable` names
 *   the configured server that was not running)
 * - `call.outcome`: `CallOutcomeData`
 */
export type AuditEventType = string;

export interface AuditAgent {
  name?: string;
  version?: string;
}

export interface AuditPrincipal {
  id: string;
  name?: string;
  email?: string;
}

export interface AuditRule {
  ruleId: string;
  risk: string;
  action: string;
  file?: string;
  line?: number;
  why: string[];
}

export interface CallIntentData {
  principal: AuditPrincipal;
  agent: AuditAgent;
  server: string;
  tool: string;
  /** The `<server>__<tool>` name the agent called. */
  exposedName: string;
  /** Arguments with secrets masked. */
  args: unknown;
  /** sha256 (hex) of the canonical JSON of the exact arguments. */
  argsHash: string;
  argsBytes: number;
  risk: string;
  action: string;
  reason: string;
  rules: AuditRule[];
  policyVersion: string;
}

export type CallOutcomeStatus = 'ok' | 'tool_error' | 'failed' | 'cancelled' | 'timeout';

export interface CallOutcomeData {
  status: CallOutcomeStatus;
  durationMs: number;
  isError: boolean;
  resultBytes: number;
  /** Redacted, shortened text of the result (or of the error). */
  excerpt: string;
  error?: string;
}

/** What a writer supplies. `requestId` ties the events of one tool call together. */
export interface AuditEventInput {
  type: AuditEventType;
  requestId?: string;
  sessionId?: string;
  data: Record<string, unknown>;
  /**
   * `data` as canonical JSON, when the writer has built it already (the gateway does, on its hot path). The store
   * writes and hashes it as given: it must be exactly `canonicalJson(data)`, or the event fails verification.
   */
  dataText?: string;
}

/** A stored event: the input plus its place in the hash chain. */
export interface AuditEvent extends AuditEventInput {
  seq: number;
  /** ISO-8601 UTC with milliseconds. */
  ts: string;
  prevHash: string;
  hash: string;
}

/** Where a request ended up, as the `requests` view computes it from its last terminal event. */
export type RequestStatus =
  'denied' | 'invalid' | 'unavailable' | CallOutcomeStatus | 'in_flight' | 'pending_approval';

/**
 * One tool call as an auditor sees it: a row of the `requests` view, camelCased. Fields that a request never reached
 * (a `call.rejected` has no intent, an in-flight call has no outcome) are null.
 */
export interface RequestSummary {
  requestId: string;
  /** Time of the intent (or of the rejection when the call never got that far). */
  ts: string;
  sessionId: string | null;
  /** Principal id. */
  principal: string | null;
  /** `name/version` the agent reported (recorded, never trusted). */
  agent: string | null;
  server: string | null;
  tool: string | null;
  exposedName: string | null;
  /** Redacted arguments. */
  args: unknown;
  argsHash: string | null;
  risk: string | null;
  /** The action the policy chose (allow / approve / deny). */
  action: string | null;
  /** Ids of the rules that fired. */
  rules: string[];
  /**
   * What was decided in the end: `deny` when the policy denied it; for calls that needed approval `approved`, or how
   * the approval ended (`rejected`, `expired`, `cancelled`, `abandoned`, `failed`); else the policy action; null when
   * the call was rejected as bad input.
   */
  decision: string | null;
  status: RequestStatus;
  durationMs: number | null;
  finishedAt: string | null;
  /** Why it was denied or rejected, else the policy's reason. */
  reason: string | null;
  /** The error of a failed call. */
  error: string | null;
  /** Redacted, shortened result text. */
  excerpt: string | null;
  /** Reviewer ids whose approvals reached the quorum. */
  approvedBy: string[];
  /** The reviewer who rejected it. */
  rejectedBy: string | null;
  policyVersion: string | null;
}

/** Filter for `AuditStore.listRequests`. */
export interface ListRequestsFilter {
  /** ISO date or relative age (`30m`, `1h`, `2d`, `1w`): requests at or after that time. */
  since?: string;
  status?: string;
  /** Glob (picomatch) matched against the exposed name and the tool name. */
  tool?: string;
  /** Newest first; default 100. */
  limit?: number;
}

/** The latest link of the chain; publish it somewhere the log's writer cannot reach to make truncation evident. */
export interface ChainHead {
  seq: number;
  hash: string;
}

export type VerifyResult =
  | { ok: true; count: number; head: ChainHead }
  | { ok: false; count: number; firstBadSeq: number; problem: string };
