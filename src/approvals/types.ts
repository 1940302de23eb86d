// The approval contract: a pending request bound to one exact call, the decisions on it, and the identities involved.
// Pure types, shared by the broker (store + rules), the gateway (which parks and resumes calls) and the channels.

/** Every status, `pending` first (for validating CLI and API input). */
export const APPROVAL_STATUSES = [
  'pending',
  'approved',
  'rejected',
  'expired',
  'cancelled',
  'abandoned',
  'failed',
] as const satisfies readonly ApprovalStatus[];

/** Where a request is in its life. Only `pending` can change; every other status is final. */
export type ApprovalStatus =
  | 'pending'
  /** Quorum reached; the gateway may run the call once (see `consumedAt`). */
  | 'approved'
  | 'rejected'
  /** No final decision before `expiresAt`. */
  | 'expired'
  /** The agent's client cancelled the call while it waited. */
  | 'cancelled'
  /** The gateway that held the call died; it can never run. */
  | 'abandoned'
  /** The reviewers could not be notified (no review service, channel failure) after bounded retries. */
  | 'failed';

export type DecisionKind = 'approve' | 'reject' | 'ask';

/** Ways a channel knows a person. A reviewer is matched on any of these; separation of duties compares them all. */
export interface IdentityFields {
  /** Config key of a reviewer, or the principal's `id`. */
  id?: string;
  email?: string;
  /** Microsoft Entra object id (Teams `from.aadObjectId`). */
  entraObjectId?: string;
  name?: string;
}

/** A reviewer from config, resolved. */
export interface Reviewer extends IdentityFields {
  id: string;
  /** `sha256:<hex>` of the reviewer's API token, when they use the HTTP API. */
  tokenHash?: string;
}

/** How a decision's author proved who they are. */
export interface DecisionIdentity {
  /** The configured reviewer id it mapped to. */
  reviewerId: string;
  /** Which identity field matched, and its value: e.g. `{ kind: 'token', value: 'sha256:ab12…' }`, `{ kind: 'entraObjectId', value: '…' }`. */
  kind: 'token' | 'entraObjectId' | 'email';
  value: string;
  /** `http-api`, `teams`, … */
  channel: string;
}

export interface ApprovalDecision {
  requestId: string;
  reviewerId: string;
  identity: DecisionIdentity;
  decision: DecisionKind;
  comment: string;
  /** ISO-8601. */
  at: string;
}

/** A question from a reviewer or the agent's answer, in order. */
export interface ApprovalMessage {
  requestId: string;
  kind: 'question' | 'answer';
  /** Reviewer id for a question; `agent` for an answer. */
  author: string;
  text: string;
  at: string;
}

/** A pending request, bound to one exact call. Arguments are kept redacted here; the raw ones live only in the
 * memory of the gateway that holds the call. */
export interface ApprovalRequest {
  /** Same id as the call's audit requestId, so `warden audit show ID` tells the whole story. */
  id: string;
  status: ApprovalStatus;
  server: string;
  tool: string;
  exposedName: string;
  /** sha256 of the canonical JSON of the exact arguments: what runs must hash to this. */
  argsHash: string;
  argsRedacted: unknown;
  risk: string;
  reason: string;
  rules: string[];
  policyVersion: string;
  requester: IdentityFields;
  agent: { name?: string; version?: string };
  /** Reviewer specs as the policy wrote them (`group:dba`, `user:alice`). */
  reviewerSpecs: string[];
  /** The reviewer ids those specs resolve to. */
  reviewers: string[];
  quorum: number;
  /** How long reviewers had to decide, in ms (the rule's timeout, or `approvals.defaultTimeout`). */
  timeoutMs: number;
  createdAt: string;
  expiresAt: string;
  /** The `warden serve` session and process that hold the call. */
  gatewaySession: string;
  gatewayPid: number;
  /** Set when the request reaches a final status. */
  decidedAt?: string;
  /** Why it ended: the rejection reason, `expired: no decision within 15m`, … */
  outcomeReason?: string;
  /** Set once, when the approved call starts running: single use. */
  consumedAt?: string;
  /** How long the approved call ran, and how it ended (`ok`, `tool_error`, `failed`), once it has. */
  ranMs?: number;
  runStatus?: string;
  /** Bumped on every change, so a waiter can tell something happened. */
  version: number;
}

/** What a reviewer or channel needs to show a request. */
export interface ApprovalRequestView extends ApprovalRequest {
  decisions: ApprovalDecision[];
  messages: ApprovalMessage[];
  /** Distinct reviewers who approved so far. */
  approvals: number;
}

/** Result of a decision attempt: accepted (and what it did) or refused with an HTTP-like reason. */
export type DecisionResult =
  | {
      ok: true;
      request: ApprovalRequestView;
      /** `counted`: an approval below quorum; `answered`: the agent's answer (from `answer`). */
      effect: 'approved' | 'rejected' | 'asked' | 'counted' | 'answered';
    }
  | {
      ok: false;
      /** not_found → 404, forbidden → 403 (not a reviewer, self-approval), conflict → 409 (already decided,
       * expired, cancelled, same reviewer twice), invalid → 422 (missing reason or question). */
      code: 'not_found' | 'forbidden' | 'conflict' | 'invalid';
      message: string;
    };

/** A card or message a channel posted for a request, so it can be updated when the request changes. */
export interface ApprovalNotification {
  requestId: string;
  /** `teams`, `http-api`, … */
  channel: string;
  /** The channel's id for what it posted (a Teams activity id, …). */
  messageId: string;
  /** Whatever the channel needs to update it later (a conversation reference, …). */
  details: Record<string, unknown>;
  at: string;
}

/** Filter for `list`: newest first. */
export interface ApprovalListFilter {
  status?: ApprovalStatus;
  /** At most this many; default 100. */
  limit?: number;
}
