// Parking a call that needs approval, and resuming it. The request is durable in the database; the exact arguments
// stay in this process's memory only, so the call can run exactly as asked, once, and only from the gateway that
// holds it. Waiting sends progress heartbeats; every way out that is not an approval fails closed.
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../log.js';
import { errorMessage } from '../errors.js';
import type { ApprovalBroker } from '../approvals/broker.js';
import type { ApprovalRequest, ApprovalRequestView, ApprovalStatus } from '../approvals/types.js';
import { formatDuration } from '../approvals/duration.js';

/** What the gate needs of the broker. */
export type GateBroker = Pick<
  ApprovalBroker,
  | 'createRequest'
  | 'get'
  | 'version'
  | 'answer'
  | 'expireIfDue'
  | 'cancel'
  | 'fail'
  | 'consume'
  | 'recordRun'
  | 'liveReviewService'
>;

export interface ApprovalSettings {
  defaultTimeoutMs: number;
  /** Reviewer specs for rules that name none. */
  defaultReviewers: string[];
  /** Longest hold per MCP client name; `default` for the rest. */
  holdLimitsMs: Record<string, number>;
  heartbeatMs: number;
  pollMs: number;
  /** How long to wait for a live review service before failing closed. */
  reviewServiceGraceMs: number;
}

/** A parked call: everything needed to run it later, exactly as asked. */
export interface HeldCall {
  id: string;
  exposedName: string;
  argsHash: string;
  /** Runs the call downstream and records its outcome. Called at most once. */
  run: (signal: AbortSignal, sendProgress: ProgressSender | undefined) => Promise<CallToolResult>;
  /** Records the end of a call that never ran (the terminal audit event). */
  deny: (reason: string, status: ApprovalStatus) => void;
  /** Questions already handed to the agent. */
  questionsSeen: number;
}

export type ProgressSender = (params: {
  progress: number;
  total?: number;
  message?: string;
}) => Promise<void>;

export interface WaitContext {
  clientName: string | undefined;
  signal: AbortSignal;
  /**
   * The parked tool declares an output schema. MCP clients check every non-error result of such a tool against it
   * (the SDK's client throws when structuredContent is missing), so "pending" and a reviewer's question, which are not
   * the tool's output, go back marked isError, saying they are not a failure.
   */
  outputSchema?: boolean;
  /** Present when the client sent a progress token: then the call may be held, with heartbeats. */
  sendProgress: ProgressSender | undefined;
}

const REVIEW_SERVICE_MAX_AGE_MS = 10_000;

function text(value: string, isError = false): CallToolResult {
  return isError
    ? { content: [{ type: 'text', text: value }], isError: true }
    : { content: [{ type: 'text', text: value }] };
}

/** A result that is not the tool's own output (pending, a question): see WaitContext.outputSchema. */
function interim(message: string, context: WaitContext): CallToolResult {
  if (!context.outputSchema) return text(message);
  return text(
    `${message} (This is marked as an error only because the tool's output is not there yet: the call did not fail.)`,
    true,
  );
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/** Holds parked calls for one `warden serve` session. */
export class ApprovalGate {
  private readonly held = new Map<string, HeldCall>();
  private readonly broker: GateBroker;
  private readonly settings: ApprovalSettings;
  private readonly session: string;
  private readonly logger: Logger;

  constructor(options: { broker: GateBroker; settings: ApprovalSettings; session: string; logger: Logger }) {
    this.broker = options.broker;
    this.settings = options.settings;
    this.session = options.session;
    this.logger = options.logger;
  }

  /** Ids of the calls this session still holds (for shutdown). */
  heldIds(): string[] {
    return [...this.held.keys()];
  }

  /**
   * Parks a call: creates the durable request, then waits for the decision as long as the client allows, and
   * either runs the call, returns the refusal, hands a reviewer's question to the agent, or says it is pending.
   */
  async park(
    call: Omit<HeldCall, 'questionsSeen'>,
    request: Omit<
      Parameters<GateBroker['createRequest']>[0],
      'id' | 'gatewaySession' | 'gatewayPid' | 'timeoutMs'
    > & {
      timeoutMs: number | undefined;
    },
    context: WaitContext,
  ): Promise<CallToolResult> {
    let created: ApprovalRequest;
    try {
      created = this.broker.createRequest({
        ...request,
        id: call.id,
        reviewerSpecs:
          request.reviewerSpecs.length > 0 ? request.reviewerSpecs : this.settings.defaultReviewers,
        timeoutMs: request.timeoutMs ?? this.settings.defaultTimeoutMs,
        gatewaySession: this.session,
        gatewayPid: process.pid,
      });
    } catch (error) {
      const reason = `could not create the approval request: ${errorMessage(error)}`;
      call.deny(reason, 'failed');
      return text(`Warden denied this call: ${reason}. It was not run.`, true);
    }
    if (created.status !== 'pending') {
      const reason = created.outcomeReason ?? `the approval request is ${created.status}`;
      call.deny(reason, created.status);
      return text(`Warden denied this call: ${reason}. It was not run.`, true);
    }
    // The call's terminal event is written once, whichever of a wait and releaseAll gets there first.
    let denied = false;
    const deny: HeldCall['deny'] = (reason, status) => {
      if (denied) return;
      denied = true;
      call.deny(reason, status);
    };
    const held: HeldCall = { ...call, deny, questionsSeen: 0 };
    this.held.set(call.id, held);

    // Security: with nobody to review, waiting only delays the inevitable: fail closed after a short grace.
    if (!(await this.reviewServiceAvailable(context.signal))) {
      this.broker.fail(call.id, 'no review service is running (start `warden review`), so nobody can decide');
      return this.finish(held, this.broker.get(call.id));
    }
    return this.wait(held, context);
  }

  /** `warden__await_approval`: waits again for a request this session holds. */
  async resume(id: string, context: WaitContext): Promise<CallToolResult> {
    const held = this.held.get(id);
    if (!held) {
      const known = this.broker.get(id);
      if (known?.consumedAt)
        return text(`Request ${id} was approved and has already run; an approval runs once.`, true);
      if (known && known.status !== 'pending')
        return text(`Request ${id} ended: ${known.outcomeReason ?? known.status}.`, true);
      return text(
        `Unknown approval request "${id}" for this session: only the gateway session that made a request can wait for it.`,
        true,
      );
    }
    return this.wait(held, { ...context, holdAlways: true });
  }

  /** `warden__reply`: the agent answers a reviewer's question; the request stays pending. */
  reply(id: string, answer: string): CallToolResult {
    if (!this.held.has(id)) {
      return text(`Unknown approval request "${id}" for this session.`, true);
    }
    const result = this.broker.answer(id, answer);
    if (!result.ok) return text(`Could not record the answer: ${result.message}`, true);
    return text(
      `Answer recorded on request ${id}; the reviewers see it. Call warden__await_approval with {"id":"${id}"} to wait for their decision.`,
    );
  }

  /** Marks every held request cancelled (the gateway is stopping: none of them can run later). */
  releaseAll(reason: string): void {
    for (const [id, held] of this.held) {
      if (this.broker.cancel(id, reason)) held.deny(reason, 'cancelled');
    }
    this.held.clear();
  }

  private async reviewServiceAvailable(signal: AbortSignal): Promise<boolean> {
    const deadline = Date.now() + this.settings.reviewServiceGraceMs;
    for (;;) {
      if (this.broker.liveReviewService(REVIEW_SERVICE_MAX_AGE_MS)) return true;
      if (Date.now() >= deadline || signal.aborted) return false;
      await sleep(Math.min(250, this.settings.pollMs), signal);
    }
  }

  private holdLimit(clientName: string | undefined): number {
    const limits = this.settings.holdLimitsMs;
    return (clientName !== undefined ? limits[clientName] : undefined) ?? limits.default ?? 0;
  }

  private async wait(
    held: HeldCall,
    context: WaitContext & { holdAlways?: boolean },
  ): Promise<CallToolResult> {
    const { signal, sendProgress } = context;
    const request = this.broker.get(held.id);
    if (!request)
      return text(`Approval request ${held.id} disappeared from the database; nothing ran.`, true);
    const expiresAt = Date.parse(request.expiresAt);
    // Without a progress token the client's own timeout cannot be reset: answer at once, the agent waits via the tool.
    const canHold = sendProgress !== undefined || context.holdAlways === true;
    const holdUntil = canHold
      ? Math.min(expiresAt, Date.now() + this.holdLimit(context.clientName))
      : Date.now();
    let lastVersion = -1;
    let beat = 0;
    let nextBeat = Date.now();
    for (;;) {
      if (signal.aborted) {
        if (!context.holdAlways) {
          this.broker.cancel(held.id, 'cancelled by the agent while waiting for approval');
          return this.finish(held, this.broker.get(held.id));
        }
        return text(`Stopped waiting; request ${held.id} is still pending.`);
      }
      if (Date.now() >= expiresAt) this.broker.expireIfDue(held.id);
      const version = this.broker.version(held.id);
      if (version !== lastVersion) {
        lastVersion = version ?? -1;
        const current = this.broker.get(held.id);
        if (!current || current.status !== 'pending') {
          // Progress must keep increasing: the call's own progress continues after the heartbeats.
          const base = beat;
          const offset: ProgressSender | undefined = sendProgress
            ? ({ total, ...params }) =>
                sendProgress({
                  ...params,
                  progress: base + params.progress,
                  ...(base === 0 && total !== undefined ? { total } : {}),
                })
            : undefined;
          return this.finish(held, current, signal, offset);
        }
        const questions = current.messages.filter((m) => m.kind === 'question');
        if (questions.length > held.questionsSeen) {
          held.questionsSeen = questions.length;
          const question = questions.at(-1)!;
          return interim(
            `Reviewer ${question.author} asked a question about request ${held.id} (${held.exposedName}): "${question.text}". ` +
              `Answer with warden__reply {"id":"${held.id}","answer":"…"}, then call warden__await_approval {"id":"${held.id}"}. The request stays pending.`,
            context,
          );
        }
      }
      const now = Date.now();
      if (now >= holdUntil) return interim(this.pendingText(held.id, request), context);
      if (sendProgress && now >= nextBeat) {
        beat += 1;
        nextBeat = now + this.settings.heartbeatMs;
        const left = formatDuration(Math.max(0, expiresAt - now));
        void sendProgress({
          progress: beat,
          message: `waiting for approval from ${request.reviewerSpecs.join(', ')}, ${left} left`,
        }).catch((error: unknown) => this.logger.debug(`heartbeat failed: ${errorMessage(error)}`));
      }
      await sleep(Math.min(this.settings.pollMs, Math.max(1, holdUntil - now)), signal);
    }
  }

  private pendingText(id: string, request: ApprovalRequestView): string {
    const left = formatDuration(Math.max(0, Date.parse(request.expiresAt) - Date.now()));
    return (
      `Approval pending: request ${id} (${request.exposedName}) needs ${request.quorum} approval(s) from ` +
      `${request.reviewerSpecs.join(', ')}; it expires in ${left}. Nothing has run yet. ` +
      `Call warden__await_approval with {"id":"${id}"} to wait for the decision; do not repeat the original call.`
    );
  }

  /** Ends a wait on a final status: run the call once if approved, else deny with the reason. */
  private async finish(
    held: HeldCall,
    request: ApprovalRequestView | undefined,
    signal: AbortSignal = new AbortController().signal,
    sendProgress?: ProgressSender,
  ): Promise<CallToolResult> {
    this.held.delete(held.id);
    if (request?.status === 'approved') {
      // Security: single use, bound to the exact arguments; a second waiter or a changed call gets nothing.
      if (!this.broker.consume(held.id, held.argsHash)) {
        const reason = 'the approval was already used or does not match this call';
        held.deny(reason, 'approved');
        return text(`Warden did not run this call: ${reason}.`, true);
      }
      const started = performance.now();
      let status = 'failed';
      try {
        const result = await held.run(signal, sendProgress);
        status = result.isError ? 'tool_error' : 'ok';
        return result;
      } finally {
        this.broker.recordRun(held.id, Math.round(performance.now() - started), status);
      }
    }
    const status = request?.status ?? 'failed';
    const reason = request?.outcomeReason ?? `the approval request is ${status}`;
    held.deny(reason, status);
    return text(`Warden denied this call: ${reason}. It was not run.`, true);
  }
}
