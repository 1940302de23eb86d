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
 * - `call.rejected` (bad input before policy: unknown tool, oversized arguments): `{ exposedName, reason, argsBytes? }`
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
}

/** A stored event: the input plus its place in the hash chain. */
export interface AuditEvent extends AuditEventInput {
  seq: number;
  /** ISO-8601 UTC with milliseconds. */
  ts: string;
  prevHash: string;
  hash: string;
}
