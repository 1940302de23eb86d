// The approval broker: creates requests bound to one exact call, records decisions by the rules of decision-rules.ts,
// expires, cancels, abandons and consumes them, and writes every step to the audit log. Gateways and the review
// service each open one on the shared database file; SQLite's write lock keeps their changes in order.
import type { AuditEventInput } from '../audit/types.js';
import { WardenError } from '../errors.js';
import { SILENT_LOGGER, type Logger } from '../log.js';
import {
  checkAnswer,
  checkDecision,
  countApprovals,
  expiryReason,
  isDue,
  nameOf,
  outcomeReason,
  approverIds,
  type DecisionRefusal,
} from './decision-rules.js';
import { resolveReviewers } from './identity.js';
import { openApprovalStore, type ApprovalStore } from './store.js';
import type {
  ApprovalListFilter,
  ApprovalNotification,
  ApprovalRequest,
  ApprovalRequestView,
  DecisionIdentity,
  DecisionKind,
  DecisionResult,
  IdentityFields,
  Reviewer,
} from './types.js';

/** Where the broker writes its events: an AuditStore, or anything with the same `append`. */
export interface AuditSink {
  append(event: AuditEventInput): unknown;
}

export interface ApprovalBrokerOptions {
  /** The SQLite file (config `database`), shared with the audit log. */
  database: string;
  audit: AuditSink;
  /** Configured reviewers (config `reviewers`, see reviewersFromConfig). */
  reviewers: readonly Reviewer[];
  /** Group name → reviewer ids (config `groups`). */
  groups: Readonly<Record<string, readonly string[]>>;
  /** The person the agent acts for (config `principal`): the requester of the requests this broker creates. */
  requester: IdentityFields;
  now?: () => Date;
  logger?: Logger;
  /** How long to wait for another process's write lock, in ms (default 5000). */
  busyTimeoutMs?: number;
}

/** What the gateway knows about a call that needs approval: the request's fields that exist before any decision. */
export type CreateApprovalInput = Pick<
  ApprovalRequest,
  | 'id'
  | 'server'
  | 'tool'
  | 'exposedName'
  | 'argsHash'
  | 'argsRedacted'
  | 'risk'
  | 'reason'
  | 'rules'
  | 'policyVersion'
  | 'agent'
  | 'reviewerSpecs'
  | 'quorum'
  | 'timeoutMs'
  | 'gatewaySession'
  | 'gatewayPid'
> & {
  /** Overrides the broker's requester (a caller authenticated per request, in shared deployments). */
  requester?: IdentityFields;
};

/** A refused attempt, and whether refusing it expired the request. */
type Refused = { refusal: DecisionRefusal; expired: boolean };
type AcceptedEffect = 'approved' | 'rejected' | 'asked' | 'counted';

/**
 * An open broker. Every state change runs in one `BEGIN IMMEDIATE` transaction and, once committed, is appended to
 * the audit log with `requestId` = the request id, so `warden audit show ID` tells the story in order. An audit
 * append that fails throws (AUDIT_WRITE) after the change is committed: callers treat that as a failure and fail
 * closed (a consumed request whose `approval.executing` could not be logged must not run).
 */
export class ApprovalBroker {
  private readonly store: ApprovalStore;
  private readonly audit: AuditSink;
  private readonly reviewers: ReadonlyMap<string, Reviewer>;
  private readonly groups: Readonly<Record<string, readonly string[]>>;
  private readonly requester: IdentityFields;
  private readonly now: () => Date;
  private readonly logger: Logger;

  constructor(options: ApprovalBrokerOptions) {
    this.store = openApprovalStore(options.database, { busyTimeoutMs: options.busyTimeoutMs });
    this.audit = options.audit;
    this.reviewers = new Map(options.reviewers.map((r) => [r.id, r]));
    this.groups = options.groups;
    this.requester = options.requester;
    this.now = options.now ?? (() => new Date());
    this.logger = options.logger ?? SILENT_LOGGER;
  }

  /** The database file. */
  get path(): string {
    return this.store.path;
  }

  /**
   * Records a pending request bound to this exact call (`approval.requested`), or, when its reviewers cannot be
   * resolved or cannot reach the quorum without the requester, a request that is `failed` at once
   * (`approval.failed`): fail closed rather than wait for approvals that cannot come. Throws APPROVALS_WRITE on bad
   * input (an empty id, a non-positive timeout) or a duplicate id.
   */
  createRequest(input: CreateApprovalInput): ApprovalRequest {
    if (typeof input.id !== 'string' || input.id.length === 0) {
      throw new WardenError('APPROVALS_WRITE', 'an approval request needs a non-empty id');
    }
    if (!Number.isFinite(input.timeoutMs) || input.timeoutMs <= 0) {
      throw new WardenError(
        'APPROVALS_WRITE',
        `approval request ${input.id}: timeoutMs must be a positive number of ms, got ${input.timeoutMs}`,
      );
    }
    const requester = input.requester ?? this.requester;
    const resolved = resolveReviewers({
      specs: input.reviewerSpecs,
      quorum: input.quorum,
      reviewers: this.reviewers,
      groups: this.groups,
      requester,
    });
    const created = this.now();
    const createdAt = created.toISOString();
    const request: ApprovalRequest = {
      id: input.id,
      status: resolved.ok ? 'pending' : 'failed',
      server: input.server,
      tool: input.tool,
      exposedName: input.exposedName,
      argsHash: input.argsHash,
      argsRedacted: input.argsRedacted,
      risk: input.risk,
      reason: input.reason,
      rules: [...input.rules],
      policyVersion: input.policyVersion,
      requester: { ...requester },
      agent: { ...input.agent },
      reviewerSpecs: [...input.reviewerSpecs],
      reviewers: resolved.ok ? resolved.reviewers : [],
      quorum: input.quorum,
      timeoutMs: input.timeoutMs,
      createdAt,
      expiresAt: new Date(created.getTime() + input.timeoutMs).toISOString(),
      gatewaySession: input.gatewaySession,
      gatewayPid: input.gatewayPid,
      version: 1,
    };
    if (!resolved.ok) {
      request.decidedAt = createdAt;
      request.outcomeReason = resolved.reason;
    }
    this.store.write(() => this.store.insertRequest(request));
    if (!resolved.ok) {
      this.logger.warn(`approval ${request.id} failed at creation: ${resolved.reason}`);
      this.emit('approval.failed', request.id, {
        reason: resolved.reason,
        reviewerSpecs: request.reviewerSpecs,
        quorum: request.quorum,
      });
      return request;
    }
    this.logger.debug(`approval ${request.id} pending for ${request.reviewers.join(', ')}`);
    this.emit('approval.requested', request.id, {
      server: request.server,
      tool: request.tool,
      exposedName: request.exposedName,
      argsHash: request.argsHash,
      risk: request.risk,
      reason: request.reason,
      rules: request.rules,
      policyVersion: request.policyVersion,
      requester: request.requester,
      agent: request.agent,
      reviewerSpecs: request.reviewerSpecs,
      reviewers: request.reviewers,
      excluded: resolved.excluded,
      quorum: request.quorum,
      timeoutMs: request.timeoutMs,
      expiresAt: request.expiresAt,
      gatewaySession: request.gatewaySession,
      gatewayPid: request.gatewayPid,
    });
    return request;
  }

  /** The request with its decisions, questions and answers; undefined when unknown. A pure read: see expireIfDue. */
  get(id: string): ApprovalRequestView | undefined {
    return this.store.view(id);
  }

  /** Requests newest first (default at most 100). */
  list(filter: ApprovalListFilter = {}): ApprovalRequestView[] {
    return this.store.list(filter);
  }

  /** The request's version (bumped on every change), for pollers; undefined when unknown. */
  version(id: string): number | undefined {
    return this.store.version(id);
  }

  /**
   * Records a reviewer's decision, or refuses it (see checkDecision for the rules and their order). Approve counts
   * one person once and approves at quorum; any rejection rejects; ask adds a question and leaves the request
   * pending. Every refusal is recorded as `approval.refused`; a decision arriving after expiry also marks the
   * request expired.
   */
  decide(id: string, identity: DecisionIdentity, decision: DecisionKind, comment: string): DecisionResult {
    const now = this.now();
    const at = now.toISOString();
    const text = typeof comment === 'string' ? comment : '';
    const outcome = this.store.write(
      (): Refused | { effect: AcceptedEffect; request: ApprovalRequestView } => {
        const request = this.store.view(id);
        const refusal = checkDecision({
          request,
          id,
          identity,
          decision,
          comment: text,
          reviewers: this.reviewers,
          now,
        });
        if (refusal) return { refusal, expired: this.expireRefused(id, refusal, at) };
        const current = request!;
        const trimmed = text.trim();
        this.store.insertDecision({
          requestId: id,
          reviewerId: identity.reviewerId,
          identity,
          decision,
          comment: trimmed,
          at,
        });
        let effect: AcceptedEffect;
        if (decision === 'approve') {
          const approvals = countApprovals(current, this.reviewers, identity.reviewerId);
          this.store.setApprovals(id, approvals);
          effect = 'counted';
          if (approvals >= current.quorum) {
            const names = [...approverIds(current), identity.reviewerId].map((r) =>
              nameOf(r, this.reviewers),
            );
            this.store.finishPending(id, 'approved', at, outcomeReason('approve', [...new Set(names)]));
            effect = 'approved';
          }
        } else if (decision === 'reject') {
          const reason = outcomeReason('reject', [nameOf(identity.reviewerId, this.reviewers)], trimmed);
          this.store.finishPending(id, 'rejected', at, reason);
          effect = 'rejected';
        } else {
          this.store.insertMessage({
            requestId: id,
            kind: 'question',
            author: identity.reviewerId,
            text: trimmed,
            at,
          });
          this.store.touch(id);
          effect = 'asked';
        }
        return { effect, request: this.store.view(id)! };
      },
    );

    if ('refusal' in outcome) {
      if (outcome.expired) this.emitExpired(id, outcome.refusal.message);
      this.logger.info(
        `approval ${id}: refused ${decision} by ${identity.reviewerId}: ${outcome.refusal.message}`,
      );
      this.emit('approval.refused', id, {
        reviewerId: identity.reviewerId,
        identity: { kind: identity.kind, value: identity.value },
        channel: identity.channel,
        decision,
        comment: text,
        code: outcome.refusal.code,
        message: outcome.refusal.message,
      });
      return { ok: false, code: outcome.refusal.code, message: outcome.refusal.message };
    }
    const { request, effect } = outcome;
    const who = {
      reviewerId: identity.reviewerId,
      identity: { kind: identity.kind, value: identity.value },
      channel: identity.channel,
    };
    this.logger.debug(`approval ${id}: ${decision} by ${identity.reviewerId} → ${effect}`);
    if (decision === 'approve') {
      this.emit('approval.decision', id, {
        ...who,
        decision,
        comment: text.trim(),
        approvals: request.approvals,
        quorum: request.quorum,
      });
      if (effect === 'approved') {
        this.emit('approval.approved', id, {
          approvedBy: approverIds(request),
          quorum: request.quorum,
          reason: request.outcomeReason,
        });
      }
    } else if (decision === 'reject') {
      this.emit('approval.rejected', id, { ...who, comment: text.trim(), reason: request.outcomeReason });
    } else {
      this.emit('approval.question', id, { ...who, question: text.trim() });
    }
    return { ok: true, request, effect };
  }

  /**
   * The agent's answer to the reviewers' latest question: stored on the request (`approval.answer`), which stays
   * pending. Refused when the request is unknown, final, expired, or has no question.
   */
  answer(id: string, text: string): DecisionResult {
    const now = this.now();
    const at = now.toISOString();
    const answer = typeof text === 'string' ? text : '';
    const outcome = this.store.write((): Refused | { request: ApprovalRequestView } => {
      const request = this.store.view(id);
      const refusal = checkAnswer({ request, id, text: answer, reviewers: this.reviewers, now });
      if (refusal) return { refusal, expired: this.expireRefused(id, refusal, at) };
      this.store.insertMessage({ requestId: id, kind: 'answer', author: 'agent', text: answer.trim(), at });
      this.store.touch(id);
      return { request: this.store.view(id)! };
    });
    if ('refusal' in outcome) {
      if (outcome.expired) this.emitExpired(id, outcome.refusal.message);
      return { ok: false, code: outcome.refusal.code, message: outcome.refusal.message };
    }
    this.emit('approval.answer', id, { answer: answer.trim() });
    return { ok: true, request: outcome.request, effect: 'answered' };
  }

  /** Marks the request expired when it is pending past its expiry (`approval.expired`). True when it did. */
  expireIfDue(id: string): boolean {
    const now = this.now();
    const reason = this.store.write(() => {
      const request = this.store.view(id);
      if (!request || !isDue(request, now)) return undefined;
      const why = expiryReason(request);
      return this.store.finishPending(id, 'expired', now.toISOString(), why) ? why : undefined;
    });
    if (reason === undefined) return false;
    this.emitExpired(id, reason);
    return true;
  }

  /** Expires every pending request past its expiry; returns their ids. */
  sweepExpired(): string[] {
    const now = this.now();
    const at = now.toISOString();
    const expired = this.store.write(() =>
      this.store.pendingDue(at).flatMap((id) => {
        const request = this.store.view(id);
        if (!request) return [];
        const reason = expiryReason(request);
        return this.store.finishPending(id, 'expired', at, reason) ? [{ id, reason }] : [];
      }),
    );
    for (const { id, reason } of expired) this.emitExpired(id, reason);
    return expired.map((e) => e.id);
  }

  /** Pending → cancelled (`approval.cancelled`): the client gave up; the call never runs. False when not pending. */
  cancel(id: string, reason: string): boolean {
    return this.finish(id, 'cancelled', reason, 'approval.cancelled');
  }

  /** Pending → failed (`approval.failed`): reviewers could not be reached. False when not pending. */
  fail(id: string, reason: string): boolean {
    return this.finish(id, 'failed', reason, 'approval.failed');
  }

  /**
   * Pending or approved-but-not-run → abandoned (`approval.abandoned`): the gateway holding the call lets it go (an
   * approval nobody collected in time, a gateway that stops), so it can never run. False when it is neither.
   */
  abandon(id: string, reason: string): boolean {
    const at = this.now().toISOString();
    const done = this.store.write(() => this.store.abandon(id, at, reason));
    if (done) this.emit('approval.abandoned', id, { reason });
    return done;
  }

  /**
   * Single use: true exactly once, for an approved request whose arguments hash to `argsHash`, and records
   * `approval.executing`. Anything else (pending, rejected, already consumed, other arguments, unknown) is false.
   * The gateway runs the call only after this returned true.
   */
  consume(id: string, argsHash: string): boolean {
    const at = this.now().toISOString();
    const consumed = this.store.write(() => this.store.consume(id, argsHash, at));
    if (consumed) this.emit('approval.executing', id, { argsHash });
    return consumed;
  }

  /**
   * Records how the approved call went (its `call.outcome` is in the audit log already), so channels can show it:
   * "Approved by Bob at 14:02 — ran in 120 ms". Only once, and only for a consumed request.
   */
  recordRun(id: string, durationMs: number, status: string): boolean {
    return this.store.write(() => this.store.recordRun(id, durationMs, status));
  }

  /** Records that a channel posted the request (`approval.notified`); `details` is kept for updating it later. */
  recordNotified(
    id: string,
    channel: string,
    messageId: string,
    details: Record<string, unknown> = {},
  ): boolean {
    const at = this.now().toISOString();
    const recorded = this.store.write(() => {
      if (this.store.version(id) === undefined) return false;
      this.store.insertNotification({ requestId: id, channel, messageId, details, at });
      return true;
    });
    if (recorded) this.emit('approval.notified', id, { channel, messageId });
    return recorded;
  }

  /**
   * Which review service posts request `id` on `channel`: see ApprovalStore.claimNotification. A service counts as
   * alive while its last heartbeat is at most `staleAfterMs` old.
   */
  claimNotification(
    id: string,
    channel: string,
    instance: string,
    staleAfterMs: number,
  ): 'post' | 'update' | 'other' {
    const now = this.now();
    const aliveSince = new Date(now.getTime() - staleAfterMs).toISOString();
    // Asked every tick while another service has the post: answered without taking the write lock, which the
    // gateways need for their calls' intents.
    if (this.store.read(() => this.store.claimedByOther(id, channel, instance, aliveSince))) return 'other';
    return this.store.write(() =>
      this.store.claimNotification(id, channel, instance, now.toISOString(), aliveSince),
    );
  }

  /** What channels posted for the request, in order. */
  notifications(id: string): ApprovalNotification[] {
    return this.store.notifications(id);
  }

  /** Pending requests that `channel` has not posted yet, oldest first. */
  unnotified(channel: string): ApprovalRequestView[] {
    return this.store.unnotified(channel);
  }

  /** Records a `warden serve` session (its requests die with its process). */
  registerGateway(session: string, pid: number): void {
    const at = this.now().toISOString();
    this.store.write(() => this.store.upsertGateway(session, pid, at));
  }

  heartbeatGateway(session: string): boolean {
    const at = this.now().toISOString();
    return this.store.write(() => this.store.touchGateway(session, at));
  }

  /** Forgets a session that stopped cleanly. */
  unregisterGateway(session: string): boolean {
    return this.store.write(() => this.store.deleteGateway(session));
  }

  /**
   * Marks abandoned (`approval.abandoned`) every pending or approved-but-unconsumed request whose gateway process is
   * gone: the raw arguments lived only in its memory, so the call can never run. A gateway is gone when
   * `isAlive(pid)` is false or, with `staleAfterMs`, when its session's last heartbeat is older than that (a reused
   * pid). Run at gateway start. Returns the ids.
   */
  abandonOrphans(isAlive: (pid: number) => boolean, options: { staleAfterMs?: number } = {}): string[] {
    const now = this.now();
    const at = now.toISOString();
    const abandoned = this.store.write(() => {
      const seen = options.staleAfterMs === undefined ? undefined : this.store.gatewaySeen();
      const alive = new Map<number, boolean>();
      const found: Array<{
        id: string;
        reason: string;
        gatewaySession: string;
        gatewayPid: number;
        was: string;
      }> = [];
      for (const candidate of this.store.orphanCandidates()) {
        const pid = candidate.gatewayPid;
        if (!alive.has(pid)) alive.set(pid, isAlive(pid));
        let live = alive.get(pid)!;
        const lastSeen = seen?.get(candidate.gatewaySession);
        if (live && lastSeen !== undefined && now.getTime() - Date.parse(lastSeen) > options.staleAfterMs!) {
          live = false;
        }
        if (live) continue;
        const reason = `abandoned: the gateway holding the call (pid ${pid}, session ${candidate.gatewaySession}) is gone; it can never run`;
        if (this.store.abandon(candidate.id, at, reason)) {
          found.push({
            id: candidate.id,
            reason,
            gatewaySession: candidate.gatewaySession,
            gatewayPid: pid,
            was: candidate.status,
          });
        }
      }
      return found;
    });
    for (const { id, was, ...data } of abandoned)
      this.emit('approval.abandoned', id, { ...data, previousStatus: was });
    if (abandoned.length > 0)
      this.logger.info(`abandoned ${abandoned.length} approval request(s) of gone gateways`);
    return abandoned.map((a) => a.id);
  }

  /** Records a live review service (gateways wait for decisions only while one is alive). */
  registerReviewService(instance: string, pid: number): void {
    const at = this.now().toISOString();
    this.store.write(() => this.store.upsertReviewService(instance, pid, at));
  }

  heartbeatReviewService(instance: string): boolean {
    const at = this.now().toISOString();
    return this.store.write(() => this.store.touchReviewService(instance, at));
  }

  /** Forgets a review service that stopped cleanly, so gateways fail closed at once rather than after maxAgeMs. */
  unregisterReviewService(instance: string): boolean {
    return this.store.write(() => this.store.deleteReviewService(instance));
  }

  /** Whether a review service sent a heartbeat within the last `maxAgeMs`. */
  liveReviewService(maxAgeMs: number): boolean {
    return this.store.reviewServiceSeenSince(new Date(this.now().getTime() - maxAgeMs).toISOString());
  }

  /** Closes the database connection (not the audit sink). Safe to call twice. */
  close(): void {
    this.store.close();
  }

  private finish(id: string, status: 'cancelled' | 'failed', reason: string, type: string): boolean {
    const at = this.now().toISOString();
    const done = this.store.write(() => this.store.finishPending(id, status, at, reason));
    if (done) this.emit(type, id, { reason });
    return done;
  }

  /** Inside a write: marks the request expired when the refusal says so. True when it changed. */
  private expireRefused(id: string, refusal: DecisionRefusal, at: string): boolean {
    return refusal.expire === true && this.store.finishPending(id, 'expired', at, refusal.message);
  }

  private emitExpired(id: string, reason: string): void {
    this.logger.info(`approval ${id} ${reason}`);
    this.emit('approval.expired', id, { reason });
  }

  private emit(type: string, requestId: string, data: Record<string, unknown>): void {
    this.audit.append({ type, requestId, data });
  }
}

/** Opens a broker on the database file (creating the approval tables when missing). Close it when done. */
export function openApprovalBroker(options: ApprovalBrokerOptions): ApprovalBroker {
  return new ApprovalBroker(options);
}
