// The rules a decision attempt must pass, in order, as a pure function of the request, the attempt and the clock.
// The broker runs it inside its write transaction and records what it says.
import { formatDuration } from './duration.js';
import { countPeople, displayName, isRequester, isSamePerson } from './identity.js';
import type { ApprovalRequestView, DecisionIdentity, DecisionKind, Reviewer } from './types.js';

/** Longest reviewer comment or agent answer kept, in characters. */
export const MAX_TEXT_CHARS = 4_000;

const DECISIONS: readonly string[] = ['approve', 'reject', 'ask'] satisfies DecisionKind[];

export interface DecisionRefusal {
  code: 'not_found' | 'forbidden' | 'conflict' | 'invalid';
  message: string;
  /** The request was pending past its expiry: the broker marks it expired before refusing. */
  expire?: boolean;
}

/**
 * Why this decision must be refused, or undefined when it may be recorded. The order matters and is the contract:
 * unknown request, final status, expiry, not a reviewer of this request, the requester themselves, a missing
 * reason or question, the same person approving twice.
 */
export function checkDecision(input: {
  request: ApprovalRequestView | undefined;
  id: string;
  identity: DecisionIdentity;
  decision: DecisionKind;
  comment: string;
  reviewers: ReadonlyMap<string, Reviewer>;
  now: Date;
}): DecisionRefusal | undefined {
  const { request, identity, decision, reviewers } = input;
  if (!request) return { code: 'not_found', message: `no approval request ${input.id}` };
  if (request.status !== 'pending') return { code: 'conflict', message: alreadyFinal(request, reviewers) };
  if (isDue(request, input.now)) return { code: 'conflict', message: expiryReason(request), expire: true };

  const reviewer = reviewers.get(identity.reviewerId);
  // Security: the requester is removed from `reviewers` at creation; say why rather than "not a reviewer".
  if (isRequester(reviewer, identity, request.requester)) {
    return {
      code: 'forbidden',
      message: `${identity.reviewerId} is the requester of ${request.id} and cannot decide it (separation of duties)`,
    };
  }
  if (!request.reviewers.includes(identity.reviewerId)) {
    return {
      code: 'forbidden',
      message: `${identity.reviewerId} is not a reviewer of ${request.id} (reviewers: ${request.reviewers.join(', ')})`,
    };
  }
  if (!reviewer) {
    return {
      code: 'forbidden',
      message: `${identity.reviewerId} is not a configured reviewer here; check reviewers in the review service's config`,
    };
  }
  if (!DECISIONS.includes(decision)) {
    return {
      code: 'invalid',
      message: `decision must be approve, reject or ask, got ${JSON.stringify(decision)}`,
    };
  }
  const comment = input.comment.trim();
  if (decision === 'reject' && comment === '') {
    return { code: 'invalid', message: 'a rejection needs a reason (comment), so the agent can adapt' };
  }
  if (decision === 'ask' && comment === '') {
    return { code: 'invalid', message: 'asking for more information needs the question (comment)' };
  }
  if (input.comment.length > MAX_TEXT_CHARS) {
    return { code: 'invalid', message: `comment is too long: at most ${MAX_TEXT_CHARS} characters` };
  }
  if (decision === 'approve') {
    const earlier = approverIds(request).find(
      (id) => id === reviewer.id || isSamePerson(reviewers.get(id) ?? { id }, reviewer),
    );
    if (earlier !== undefined) {
      const who = earlier === reviewer.id ? reviewer.id : `${reviewer.id} (the same person as ${earlier})`;
      return { code: 'conflict', message: `${who} already approved; one person counts once` };
    }
  }
  return undefined;
}

/** Distinct people who approved, counting `extra` (a new approver) too. */
export function countApprovals(
  request: ApprovalRequestView,
  reviewers: ReadonlyMap<string, Reviewer>,
  extra?: string,
): number {
  const ids = approverIds(request);
  return countPeople(extra === undefined ? ids : [...ids, extra], reviewers);
}

/** Reviewer ids that approved, in order, once each. */
export function approverIds(request: ApprovalRequestView): string[] {
  return [...new Set(request.decisions.filter((d) => d.decision === 'approve').map((d) => d.reviewerId))];
}

export function isDue(request: { status: string; expiresAt: string }, now: Date): boolean {
  return request.status === 'pending' && now.getTime() >= Date.parse(request.expiresAt);
}

/** `expired: no decision within 15m`: what the agent and the reviewers are told. */
export function expiryReason(request: { timeoutMs: number }): string {
  return `expired: no decision within ${formatDuration(request.timeoutMs)}`;
}

/** `rejected by Bob: <reason>` / `approved by Bob and Carol`. */
export function outcomeReason(
  decision: 'approve' | 'reject',
  names: readonly string[],
  comment = '',
): string {
  const who = names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
  return decision === 'reject' ? `rejected by ${who}: ${comment}` : `approved by ${who}`;
}

/** A reviewer's name for people, from config when known. */
export function nameOf(id: string, reviewers: ReadonlyMap<string, Reviewer>): string {
  return displayName(reviewers.get(id) ?? { id });
}

/**
 * Why the agent's answer must be refused, or undefined: unknown request, final status, expiry, an empty or overlong
 * answer, or no question to answer.
 */
export function checkAnswer(input: {
  request: ApprovalRequestView | undefined;
  id: string;
  text: string;
  reviewers: ReadonlyMap<string, Reviewer>;
  now: Date;
}): DecisionRefusal | undefined {
  const { request } = input;
  if (!request) return { code: 'not_found', message: `no approval request ${input.id}` };
  if (request.status !== 'pending')
    return { code: 'conflict', message: alreadyFinal(request, input.reviewers) };
  if (isDue(request, input.now)) return { code: 'conflict', message: expiryReason(request), expire: true };
  if (input.text.trim() === '') return { code: 'invalid', message: 'the answer is empty' };
  if (input.text.length > MAX_TEXT_CHARS) {
    return { code: 'invalid', message: `the answer is too long: at most ${MAX_TEXT_CHARS} characters` };
  }
  if (!request.messages.some((m) => m.kind === 'question')) {
    return {
      code: 'invalid',
      message: `no reviewer has asked a question on ${request.id}; there is nothing to answer`,
    };
  }
  return undefined;
}

/** Why a request in a final status takes no more decisions: "already approved by bob, carol at …". */
function alreadyFinal(request: ApprovalRequestView, reviewers: ReadonlyMap<string, Reviewer>): string {
  const at = request.decidedAt ? ` at ${request.decidedAt}` : '';
  switch (request.status) {
    case 'approved':
      return `already approved by ${approverIds(request).join(', ')}${at}`;
    case 'rejected': {
      const rejection = request.decisions.findLast((d) => d.decision === 'reject');
      const who = rejection ? ` by ${nameOf(rejection.reviewerId, reviewers)}` : '';
      return `already rejected${who}${at}${rejection ? `: ${rejection.comment}` : ''}`;
    }
    default: {
      const reason = request.outcomeReason ?? '';
      // `expired: no decision within 15m` already names the status.
      if (reason.startsWith(`${request.status}:`)) return `already ${reason}${at ? ` (${at.trim()})` : ''}`;
      return `already ${request.status}${at}${reason ? `: ${reason}` : ''}`;
    }
  }
}
