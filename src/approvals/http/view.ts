// What the reviewers' API shows of a request: everything a reviewer needs to decide, nothing about the gateway
// process that holds the call, and no other reviewer's token hash.
import type { ApprovalRequestView, ApprovalStatus, DecisionKind, IdentityFields } from '../types.js';

/** A request as the API returns it (JSON). Arguments are the redacted form; `argsHash` binds the decision to the call. */
export interface ReviewerRequestView {
  id: string;
  status: ApprovalStatus;
  server: string;
  tool: string;
  exposedName: string;
  risk: string;
  rules: string[];
  reason: string;
  /** Arguments with secrets masked by the policy's redaction rules. */
  arguments: unknown;
  argsHash: string;
  policyVersion: string;
  requester: IdentityFields;
  agent: { name?: string; version?: string };
  reviewerSpecs: string[];
  reviewers: string[];
  quorum: number;
  /** Distinct reviewers who approved so far. */
  approvals: number;
  createdAt: string;
  expiresAt: string;
  decidedAt?: string;
  outcomeReason?: string;
  /** Each decision in order, with the channel it came through. */
  decisions: Array<{
    reviewerId: string;
    decision: DecisionKind;
    comment: string;
    channel: string;
    at: string;
  }>;
  /** Reviewers' questions and the agent's answers, in order. */
  messages: Array<{ kind: 'question' | 'answer'; author: string; text: string; at: string }>;
  /** Bumped on every change: a client can poll and compare. */
  version: number;
}

export function toReviewerView(request: ApprovalRequestView): ReviewerRequestView {
  const view: ReviewerRequestView = {
    id: request.id,
    status: request.status,
    server: request.server,
    tool: request.tool,
    exposedName: request.exposedName,
    risk: request.risk,
    rules: request.rules,
    reason: request.reason,
    arguments: request.argsRedacted,
    argsHash: request.argsHash,
    policyVersion: request.policyVersion,
    requester: request.requester,
    agent: request.agent,
    reviewerSpecs: request.reviewerSpecs,
    reviewers: request.reviewers,
    quorum: request.quorum,
    approvals: request.approvals,
    createdAt: request.createdAt,
    expiresAt: request.expiresAt,
    decisions: request.decisions.map((d) => ({
      reviewerId: d.reviewerId,
      decision: d.decision,
      comment: d.comment,
      channel: d.identity.channel,
      at: d.at,
    })),
    messages: request.messages.map((m) => ({ kind: m.kind, author: m.author, text: m.text, at: m.at })),
    version: request.version,
  };
  if (request.decidedAt !== undefined) view.decidedAt = request.decidedAt;
  if (request.outcomeReason !== undefined) view.outcomeReason = request.outcomeReason;
  return view;
}
