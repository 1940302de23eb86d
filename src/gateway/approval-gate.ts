// Parking a call that needs approval, and resuming it. The request is durable in the database; the exact arguments
// stay in this process's memory only, so the call can run exactly as asked, once, and only from the gateway that
// holds it. Waiting sends progress heartbeats; every way out that is not an approval fails closed. A held call is let
// go (its arguments freed, its terminal audit event written) as soon as its request ends in a way that can never run,
// whether or not anything waits for it: a sweep reads the database, where decisions from other processes land.
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
  | 'abandon'
  | 'consume'
  | 'recordRun'
  | 'liveReviewService'
>;

/** Most calls one session holds by default (see ApprovalSettings.maxHeldCalls). */
export const DEFAULT_MAX_HELD_CALLS = 100;
/** How long an approval stays collectable after it came in, by default (see ApprovalSettings.collectGraceMs). */
export const DEFAULT_COLLECT_GRACE_MS = 60_000;

export interface ApprovalSettings {
  defaultTimeoutMs: number;
  /** Reviewer specs for rules that name none. */
  defaultReviewers: string[];
  /** Longest hold per MCP client name; `default` for the rest. */
  holdLimitsMs: Record<string, number>;
  heartbeatMs: number;
  /** How often waits and the sweep of held calls read the database. */
  pollMs: number;
  /** How long to wait for a live review service before failing closed. */
  reviewServiceGraceMs: number;
  /**
   * Most calls this session holds at once, decided or not (default DEFAULT_MAX_HELD_CALLS). Each keeps its raw
   * arguments in memory (up to gateway.maxArgumentBytes) until it runs or ends; a call that needs approval beyond it
   * is denied, so an agent cannot grow the gateway without bound.
   */
  maxHeldCalls?: number;
  /**
   * An approved call nobody collects (warden__await_approval) is kept until its request's expiry, and at least this
   * long after the approval (default DEFAULT_COLLECT_GRACE_MS), so an approval that lands just before the expiry, while
   * the agent is between two waits, is not lost. Then it is abandoned: it can never run.
   */
  collectGraceMs?: number;
}

/** A parked call: everything needed to run it later, exactly as asked. */
export interface HeldCall {
  id: string;
  exposedName: string;
  argsHash: string;
  /** Runs the call downstream and records its outcome. Called at most once. */
  run: (signal: AbortSignal, sendProgress: ProgressSender | undefined) => Promise<CallToolResult>;
  /** Records the end of a call that never ran (the terminal audit event). The gate calls it at most once. */
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

/** The one run of an approved call, shared by every wait that reaches it. */
interface Execution {
  result: Promise<CallToolResult>;
  /** Aborts the run once every wait attached to it has been cancelled. */
  controller: AbortController;
  /** The waits for the result; progress goes to each of them. */
  attached: Set<{ sendProgress: ProgressSender | undefined }>;
}

/** A held call with what the gate tracks about it. */
interface Held extends HeldCall {
  expiresAt: number;
  /** Waits in progress (the original call's, warden__await_approval's): the sweep leaves the call to them. */
  waits: number;
  /** The status and version the gate last read. */
  status: ApprovalStatus;
  seenVersion: number;
  /** Approved and not collected: when it is let go. */
  collectBy?: number;
  /** Set once it is running or denied: nothing else may run or deny it. */
  ended: boolean;
  execution?: Execution;
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

const denied = (reason: string) => text(`Warden denied this call: ${reason}. It was not run.`, true);

/** Why a request that will never run ended, as its call's terminal event says it. */
function endReason(request: ApprovalRequestView | undefined, id: string): string {
  if (!request) return `approval request ${id} disappeared from the database`;
  return request.outcomeReason ?? `the approval request is ${request.status}`;
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

/**
 * Holds parked calls for one `warden serve` session. While it holds any, a sweep (every `pollMs`) reads the requests
 * nobody is waiting for, and lets go of those that ended without an approval (rejected, expired, cancelled, failed,
 * abandoned) and of approvals nobody collected in time: their arguments are freed and each call's `call.denied` is
 * written, once. `releaseAll` stops the sweep.
 */
export class ApprovalGate {
  private readonly held = new Map<string, Held>();
  private readonly broker: GateBroker;
  private readonly settings: ApprovalSettings;
  private readonly session: string;
  private readonly logger: Logger;
  private sweeper: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(options: { broker: GateBroker; settings: ApprovalSettings; session: string; logger: Logger }) {
    this.broker = options.broker;
    this.settings = options.settings;
    this.session = options.session;
    this.logger = options.logger;
  }

  /** Ids of the calls this session still holds (their arguments are in memory). */
  heldIds(): string[] {
    return [...this.held.keys()];
  }

  /**
   * Parks a call: creates the durable request, then waits for the decision as long as the client allows, and
   * either runs the call, returns the refusal, hands a reviewer's question to the agent, or says it is pending.
   * Denied at once, without a request, when the session already holds `maxHeldCalls` calls or the gateway stops.
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
    const refusal = this.refusal();
    if (refusal) {
      call.deny(refusal.reason, 'failed');
      return text(`Warden denied this call: ${refusal.reason}. It was not run. ${refusal.advice}`, true);
    }
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
      return denied(reason);
    }
    if (created.status !== 'pending') {
      const reason = created.outcomeReason ?? `the approval request is ${created.status}`;
      call.deny(reason, created.status);
      return denied(reason);
    }
    // The call's terminal event is written once, whichever of a wait, the sweep and releaseAll gets there first.
    const held: Held = {
      ...call,
      deny: (reason, status) => {
        if (held.ended) return;
        held.ended = true;
        call.deny(reason, status);
      },
      questionsSeen: 0,
      expiresAt: Date.parse(created.expiresAt),
      waits: 1,
      status: created.status,
      seenVersion: created.version,
      ended: false,
    };
    this.hold(held);
    try {
      // Security: with nobody to review, waiting only delays the inevitable: fail closed after a short grace.
      if (!(await this.reviewServiceAvailable(context.signal))) {
        this.broker.fail(
          call.id,
          'no review service is running (start `warden review`), so nobody can decide',
        );
        return await this.finish(held, this.broker.get(call.id));
      }
      return await this.wait(held, context);
    } finally {
      held.waits -= 1;
    }
  }

  /**
   * `warden__await_approval`: waits again for a request this session holds. Waits on one request share its one run:
   * each gets the result of the approved call, which runs once.
   */
  async resume(id: string, context: WaitContext): Promise<CallToolResult> {
    const held = this.held.get(id);
    if (!held) {
      const known = this.broker.get(id);
      if (known?.consumedAt)
        return text(
          `Request ${id} was approved and has already run; its result went to the wait that ran it (an approval runs once).`,
          true,
        );
      if (known && known.status !== 'pending')
        return text(`Request ${id} ended: ${endReason(known, id)}. Nothing ran.`, true);
      return text(
        `Unknown approval request "${id}" for this session: only the gateway session that made a request can wait for it.`,
        true,
      );
    }
    held.waits += 1;
    try {
      return await this.wait(held, { ...context, holdAlways: true });
    } finally {
      held.waits -= 1;
    }
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

  /**
   * The gateway is stopping: none of the held calls can run later. Pending requests are cancelled, approved ones not
   * yet run are abandoned, and each call not running gets its terminal event (once). Calls that park afterwards are
   * denied. A call already running finishes and records its own outcome.
   */
  releaseAll(reason: string): void {
    this.stopped = true;
    this.stopSweep();
    for (const held of this.held.values()) {
      if (held.execution) continue;
      try {
        if (this.broker.cancel(held.id, reason)) {
          held.deny(reason, 'cancelled');
          continue;
        }
        const abandoned = `abandoned: ${reason}; it was approved but not collected, and can never run`;
        if (this.broker.abandon(held.id, abandoned)) {
          held.deny(abandoned, 'abandoned');
          continue;
        }
        const request = this.broker.get(held.id);
        held.deny(endReason(request, held.id), request?.status ?? 'failed');
      } catch (error) {
        this.logger.warn(`could not release approval request ${held.id}: ${errorMessage(error)}`);
      }
    }
    this.held.clear();
  }

  /** Why a new call cannot be parked now, and what the agent can do; undefined when it can. */
  private refusal(): { reason: string; advice: string } | undefined {
    if (this.stopped) {
      return { reason: 'the gateway is stopping', advice: 'Make the call again once Warden is back.' };
    }
    const limit = this.settings.maxHeldCalls ?? DEFAULT_MAX_HELD_CALLS;
    if (this.held.size < limit) return undefined;
    return {
      reason: `this session already holds ${this.held.size} calls waiting for approval, the most it keeps (approvals.maxHeldCalls: ${limit})`,
      advice:
        `No approval was requested. Collect the decisions on the calls you made with warden__await_approval {"id":"…"}, ` +
        'or wait until reviewers decide or they expire, then make this call again.',
    };
  }

  private hold(held: Held): void {
    this.held.set(held.id, held);
    if (this.sweeper === undefined) {
      this.sweeper = setInterval(() => this.sweep(), Math.max(1, this.settings.pollMs));
      // The sweep never keeps the process alive: the transport and the downstream connections do.
      this.sweeper.unref();
    }
  }

  /** Forgets a held call: its arguments can be freed. */
  private release(held: Held): void {
    if (this.held.get(held.id) === held) this.held.delete(held.id);
    if (this.held.size === 0) this.stopSweep();
  }

  private stopSweep(): void {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  /** Checks every held call nothing waits for (a wait does its own checks). */
  private sweep(): void {
    for (const held of [...this.held.values()]) {
      if (held.waits > 0 || held.execution) continue;
      try {
        this.check(held);
      } catch (error) {
        this.logger.warn(`could not check approval request ${held.id}: ${errorMessage(error)}`);
      }
    }
  }

  private check(held: Held): void {
    const now = Date.now();
    if (held.status === 'pending' && now >= held.expiresAt) this.broker.expireIfDue(held.id);
    if (this.broker.version(held.id) !== held.seenVersion) {
      const request = this.broker.get(held.id);
      if (!request || (request.status !== 'pending' && request.status !== 'approved')) {
        this.release(held);
        held.deny(endReason(request, held.id), request?.status ?? 'failed');
        return;
      }
      held.status = request.status;
      held.seenVersion = request.version;
      if (request.status === 'approved') held.collectBy = this.collectBy(held, request);
    }
    if (held.collectBy !== undefined && now >= held.collectBy) this.letGo(held);
  }

  /** When an approved call nobody collects is let go: see ApprovalSettings.collectGraceMs. */
  private collectBy(held: Held, request: ApprovalRequestView): number {
    const decided = request.decidedAt !== undefined ? Date.parse(request.decidedAt) : Date.now();
    return Math.max(held.expiresAt, decided + (this.settings.collectGraceMs ?? DEFAULT_COLLECT_GRACE_MS));
  }

  /** Abandons an approval nobody collected in time, and denies its call. */
  private letGo(held: Held): string {
    this.release(held);
    const reason =
      'abandoned: it was approved, but nobody collected it with warden__await_approval before the request expired; it can never run';
    if (this.broker.abandon(held.id, reason)) {
      held.deny(reason, 'abandoned');
      return reason;
    }
    const request = this.broker.get(held.id);
    const why = endReason(request, held.id);
    held.deny(why, request?.status ?? 'failed');
    return why;
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

  private async wait(held: Held, context: WaitContext & { holdAlways?: boolean }): Promise<CallToolResult> {
    const { signal, sendProgress } = context;
    const started = Date.now();
    const request = this.broker.get(held.id);
    if (!request) {
      this.release(held);
      held.deny(endReason(request, held.id), 'failed');
      return text(`Approval request ${held.id} disappeared from the database; nothing ran.`, true);
    }
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
          // Security: a cancelled call never runs later, even when its approval came in just before the cancel
          // (nobody would get its result).
          if (!this.broker.cancel(held.id, 'cancelled by the agent while waiting for approval')) {
            this.broker.abandon(
              held.id,
              'abandoned: the agent cancelled the call as it was approved; it was not run',
            );
          }
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
          return this.finish(held, current, signal, offset, started);
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

  /**
   * Ends a wait on a final status: run the call once if approved (or share the run already going), else let it go
   * and deny it with the reason.
   */
  private async finish(
    held: Held,
    request: ApprovalRequestView | undefined,
    signal: AbortSignal = new AbortController().signal,
    sendProgress?: ProgressSender,
    waitStarted = Date.now(),
  ): Promise<CallToolResult> {
    if (held.execution) return this.join(held.execution, signal, sendProgress);
    if (request?.status === 'approved') {
      // A wait that was there before the deadline collects the approval; one that came later is too late.
      if (waitStarted >= this.collectBy(held, request)) return denied(this.letGo(held));
      // Security: single use, bound to the exact arguments; a changed call gets nothing.
      let consumed: boolean;
      try {
        consumed = this.broker.consume(held.id, held.argsHash);
      } catch (error) {
        // Committed but not logged: the call must not run.
        this.release(held);
        held.deny(`the approval could not be used: ${errorMessage(error)}`, 'failed');
        throw error;
      }
      if (!consumed) {
        const current = this.broker.get(held.id);
        const reason =
          current && current.status !== 'approved'
            ? endReason(current, held.id)
            : 'the approval was already used or does not match this call';
        this.release(held);
        held.deny(reason, current?.status ?? 'failed');
        return text(`Warden did not run this call: ${reason}.`, true);
      }
      return this.join(this.execute(held), signal, sendProgress);
    }
    this.release(held);
    held.deny(endReason(request, held.id), request?.status ?? 'failed');
    return denied(endReason(request, held.id));
  }

  /** Starts the one run of an approved, consumed call; the held call is let go when it ends. */
  private execute(held: Held): Execution {
    held.ended = true;
    const controller = new AbortController();
    const attached: Execution['attached'] = new Set();
    const fanOut: ProgressSender = async (params) => {
      await Promise.all([...attached].map((wait) => wait.sendProgress?.(params)));
    };
    const run = async (): Promise<CallToolResult> => {
      const started = performance.now();
      let status = 'failed';
      try {
        const result = await held.run(controller.signal, fanOut);
        status = result.isError ? 'tool_error' : 'ok';
        return result;
      } finally {
        this.release(held);
        try {
          this.broker.recordRun(held.id, Math.round(performance.now() - started), status);
        } catch (error) {
          this.logger.warn(`could not record how approved call ${held.id} ran: ${errorMessage(error)}`);
        }
      }
    };
    const execution: Execution = { result: run(), controller, attached };
    held.execution = execution;
    return execution;
  }

  /** Waits for the shared run; when every wait attached to it is cancelled, the run is cancelled too. */
  private async join(
    execution: Execution,
    signal: AbortSignal,
    sendProgress: ProgressSender | undefined,
  ): Promise<CallToolResult> {
    const wait = { sendProgress };
    const leave = () => {
      execution.attached.delete(wait);
      if (execution.attached.size === 0) execution.controller.abort(signal.reason);
    };
    execution.attached.add(wait);
    if (signal.aborted) leave();
    else signal.addEventListener('abort', leave, { once: true });
    try {
      return await execution.result;
    } finally {
      execution.attached.delete(wait);
      signal.removeEventListener('abort', leave);
    }
  }
}
