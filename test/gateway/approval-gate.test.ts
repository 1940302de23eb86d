// The approval gate's lifecycle in process: the real call pipeline and policy, the real audit log behind the batching
// writer, the real broker on a SQLite file, and a second broker on the same file standing for the review service (a
// process of its own in production) that decides, cancels and abandons. Only the downstream server is a stand-in.
// What is checked: a held call is let go, its arguments freed and its terminal event written once, as soon as its
// request can never run, whether or not anything waits; the per-session cap; one run shared by concurrent waits.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { openApprovalBroker, type ApprovalBroker } from '../../src/approvals/index.js';
import { openAuditStore, type AuditStore } from '../../src/audit/index.js';
import { ApprovalGate, type ApprovalSettings } from '../../src/gateway/approval-gate.js';
import { AuditWriter } from '../../src/gateway/audit-writer.js';
import type { DownstreamConnection } from '../../src/gateway/downstream.js';
import { createCallPipeline } from '../../src/gateway/pipeline.js';
import { CallCancel, type CancelToken } from '../../src/gateway/wire/cancel.js';
import { AWAIT_APPROVAL_TOOL, callWardenTool } from '../../src/gateway/warden-tools.js';
import { SILENT_LOGGER } from '../../src/log.js';
import { compilePolicySources } from '../../src/policy/index.js';
import { GROUPS, REQUESTER, REVIEWERS, useTempDir, viaToken } from '../approvals/helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** fx__echo waits for the default 60 s; fx__short expires after 400 ms. Both need one of the DBAs (bob, carol). */
const POLICY = `
rules:
  - id: echo-needs-dba
    match: { server: fx, tool: echo }
    risk: high
    action: approve
    reason: echoing needs a DBA
    reviewers: [group:dba]
  - id: short-needs-dba
    match: { server: fx, tool: short }
    risk: high
    action: approve
    reviewers: [group:dba]
    timeout: 400ms
`;

const SETTINGS: ApprovalSettings = {
  defaultTimeoutMs: 60_000,
  defaultReviewers: [],
  holdLimitsMs: { default: 2_000 },
  heartbeatMs: 50,
  pollMs: 20,
  reviewServiceGraceMs: 200,
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(check: () => boolean, what: string, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const textOf = (result: CallToolResult) =>
  result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');

function requestIdOf(result: CallToolResult): string {
  const id = /request (\S+) \(/.exec(textOf(result))?.[1];
  if (!id) throw new Error(`no request id in: ${textOf(result)}`);
  return id;
}

/** A stand-in downstream: records what ran; `hold()` makes the next runs wait until released. */
function downstream() {
  const ran: Array<{ args: Record<string, unknown>; cancelled: boolean }> = [];
  let gate: Promise<void> | undefined;
  let open: () => void = () => undefined;
  const connection = {
    request: async (
      _method: string,
      params: { arguments: Record<string, unknown> },
      options: { cancel?: CancelToken },
    ) => {
      const entry = { args: params.arguments, cancelled: false };
      ran.push(entry);
      if (gate) {
        await new Promise<void>((resolve, reject) => {
          void gate!.then(resolve);
          options.cancel?.onCancel((reason) => {
            entry.cancelled = true;
            reject(reason instanceof Error ? reason : new Error(String(reason)));
          });
        });
      }
      return { content: [{ type: 'text', text: `echo: ${String(params.arguments.text).slice(0, 40)}` }] };
    },
  } as unknown as DownstreamConnection;
  return {
    ran,
    connection,
    hold() {
      gate = new Promise((resolve) => (open = resolve));
    },
    release() {
      open();
      gate = undefined;
    },
  };
}

const tempDir = useTempDir();
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** A gateway session (gate, pipeline, broker, audit) and a review service on one database file. */
function setup(settings: Partial<ApprovalSettings> = {}) {
  const file = path.join(tempDir(), 'warden.db');
  const audit = openAuditStore(file);
  const writer = new AuditWriter(audit, SILENT_LOGGER);
  const brokerOptions = { database: file, reviewers: REVIEWERS, groups: GROUPS, requester: REQUESTER };
  const broker = openApprovalBroker({ ...brokerOptions, audit });
  const reviewAudit: AuditStore = openAuditStore(file);
  const review: ApprovalBroker = openApprovalBroker({ ...brokerOptions, audit: reviewAudit });
  review.registerReviewService('review-1', process.pid);
  const gate = new ApprovalGate({
    broker,
    session: 'session-1',
    logger: SILENT_LOGGER,
    settings: { ...SETTINGS, ...settings },
  });
  const fx = downstream();
  const pipeline = createCallPipeline({
    approvals: gate,
    policy: { current: compilePolicySources([{ file: '/policies/dba.yaml', text: POLICY }]) },
    audit: writer,
    principal: { id: 'alice', email: 'alice@example.com' },
    sessionId: 'session-1',
    agent: () => ({ name: 'qa-agent', version: '1' }),
    maxArgumentBytes: 4_000_000,
    callTimeoutMs: 10_000,
    excerptChars: 200,
    logger: SILENT_LOGGER,
  });
  cleanups.push(() => {
    gate.releaseAll('the test ended');
    writer.close();
    broker.close();
    review.close();
    audit.close();
    reviewAudit.close();
  });

  /** A tools/call through the pipeline; with `progress`, the client sent a progress token, so the call is held. */
  const call = (
    tool: 'echo' | 'short',
    args: Record<string, unknown>,
    options: { progress?: number[]; cancel?: CallCancel } = {},
  ) =>
    pipeline({
      exposedName: `fx__${tool}`,
      target: {
        server: 'fx',
        name: tool,
        item: { name: tool, inputSchema: { type: 'object' } },
        connection: fx.connection,
      },
      args,
      meta: options.progress ? { progressToken: 'p-1' } : undefined,
      cancel: options.cancel ?? new CallCancel(),
      sendProgress: async (p) => void options.progress?.push(p.progress as number),
    });

  /** Parks a call without a progress token: Warden answers "pending" at once and holds it. */
  const park = async (tool: 'echo' | 'short', args: Record<string, unknown> = { text: 'hello' }) => {
    const result = await call(tool, args);
    expect(textOf(result)).toMatch(/^Approval pending/);
    return requestIdOf(result);
  };

  /** warden__await_approval, as the agent calls it. */
  const awaitApproval = (id: string, options: { signal?: AbortSignal; progress?: number[] } = {}) =>
    callWardenTool(
      gate,
      AWAIT_APPROVAL_TOOL,
      { id },
      {
        clientName: 'qa-agent',
        signal: options.signal ?? new AbortController().signal,
        sendProgress: options.progress ? async (p) => void options.progress!.push(p.progress) : undefined,
      },
    );

  /** The request's audit events after its intent, in order, once the batching writer committed them. */
  const events = (id: string) => {
    writer.flush();
    return (audit.getRequest(id)?.events ?? []).filter((e) => e.type !== 'call.intent');
  };
  const types = (id: string) => events(id).map((e) => e.type);
  const count = (id: string, type: string) => types(id).filter((t) => t === type).length;
  const denial = (id: string) => events(id).find((e) => e.type === 'call.denied')?.data;
  /** The request id of the call whose arguments had this text (a denied call names none to the agent). */
  const idOf = (text: string): string => {
    writer.flush();
    for (const event of audit.events()) {
      const args = event.data.args as { text?: unknown } | undefined;
      if (event.type === 'call.intent' && args?.text === text) return event.requestId!;
    }
    throw new Error(`no call with text ${text}`);
  };
  const approve = (id: string, who = 'bob') => {
    const decided = review.decide(id, viaToken(who), 'approve', 'fine');
    expect(decided.ok).toBe(true);
  };

  return { gate, broker, review, fx, call, park, awaitApproval, events, types, count, denial, idOf, approve };
}

describe('letting go of held calls nobody waits for', () => {
  it('lets go of a call whose request expired, frees its arguments and writes its call.denied once', async () => {
    const t = setup();
    let args: Record<string, unknown> | undefined = { text: 'expire me' };
    const freed = new WeakRef(args);
    const ids = [await t.park('short', args), await t.park('short'), await t.park('short')];
    args = undefined;
    expect(t.gate.heldIds()).toEqual(ids);

    await waitFor(() => t.gate.heldIds().length === 0, 'the expired calls to be let go');
    for (const id of ids) {
      expect(t.types(id)).toEqual(['approval.requested', 'approval.expired', 'call.denied']);
      expect(t.denial(id)).toMatchObject({
        approval: 'expired',
        reason: 'expired: no decision within 400ms',
        rules: ['short-needs-dba'],
      });
    }
    gc();
    expect(freed.deref()).toBeUndefined();

    // Waiting afterwards says how it ended, and writes nothing more.
    const late = await t.awaitApproval(ids[0]!);
    expect(late.isError).toBe(true);
    expect(textOf(late)).toMatch(/ended: expired: no decision within 400ms\. Nothing ran/);
    expect(t.count(ids[0]!, 'call.denied')).toBe(1);
    expect(t.fx.ran).toHaveLength(0);
  });

  it.each([
    [
      'rejected by a reviewer',
      (r: ApprovalBroker, id: string) => r.decide(id, viaToken('carol'), 'reject', 'not during the freeze'),
      'approval.rejected',
      'rejected',
      /^rejected by Carol: not during the freeze$/,
    ],
    [
      'abandoned by another process (the gateway looked dead)',
      (r: ApprovalBroker) => r.abandonOrphans(() => false),
      'approval.abandoned',
      'abandoned',
      /^abandoned: the gateway holding the call/,
    ],
    [
      'failed (a channel could not post it)',
      (r: ApprovalBroker, id: string) =>
        r.fail(id, 'failed: the Teams card could not be posted after 3 attempts'),
      'approval.failed',
      'failed',
      /Teams card could not be posted/,
    ],
    [
      'cancelled',
      (r: ApprovalBroker, id: string) => r.cancel(id, 'cancelled by an operator'),
      'approval.cancelled',
      'cancelled',
      /^cancelled by an operator$/,
    ],
  ])(
    'lets go of a call whose request was %s, within a poll, with one call.denied',
    async (_, end, event, status, reason) => {
      const t = setup();
      const id = await t.park('echo');
      const other = await t.park('echo', { text: 'still waiting' });
      end(t.review, id);

      await waitFor(() => !t.gate.heldIds().includes(id), 'the call to be let go', 500);
      expect(t.types(id)).toEqual(['approval.requested', event, 'call.denied']);
      expect(t.denial(id)).toMatchObject({ approval: status, reason: expect.stringMatching(reason) });
      // A request of another call is not touched unless the change was to all of them.
      if (status !== 'abandoned') expect(t.gate.heldIds()).toEqual([other]);

      await sleep(100);
      expect(t.count(id, 'call.denied')).toBe(1);
      expect(t.fx.ran).toHaveLength(0);
    },
  );

  it('frees the memory of many large parked calls once their requests expire', async () => {
    const t = setup();
    gc();
    const before = process.memoryUsage().heapUsed;
    // 24 calls with 1 MB of arguments each, all different (as the agent's would be).
    for (let i = 0; i < 24; i += 1) await t.park('short', { text: randomBytes(500_000).toString('hex') });
    gc();
    const held = process.memoryUsage().heapUsed;
    expect(held - before).toBeGreaterThan(20_000_000);

    await waitFor(() => t.gate.heldIds().length === 0, 'the expired calls to be let go');
    gc();
    const after = process.memoryUsage().heapUsed;
    expect(after - before).toBeLessThan(8_000_000);
  });

  it('keeps an approved call nobody waits for until the agent collects it, then runs it once', async () => {
    const t = setup();
    const id = await t.park('echo', { text: 'collect me' });
    t.approve(id);
    await sleep(200);
    expect(t.gate.heldIds()).toEqual([id]);
    expect(t.fx.ran).toHaveLength(0);

    const result = await t.awaitApproval(id);
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toBe('echo: collect me');
    expect(t.fx.ran).toHaveLength(1);
    expect(t.gate.heldIds()).toEqual([]);
    await waitFor(() => t.types(id).includes('call.outcome'), 'the outcome');
    expect(t.types(id)).toEqual([
      'approval.requested',
      'approval.decision',
      'approval.approved',
      'approval.executing',
      'call.outcome',
    ]);
  });

  it('keeps an approval that came in just before the expiry collectable for a while after it', async () => {
    const t = setup();
    const id = await t.park('short', { text: 'just in time' });
    t.approve(id);
    await sleep(700);
    expect(t.gate.heldIds()).toEqual([id]);
    expect(textOf(await t.awaitApproval(id))).toBe('echo: just in time');
    expect(t.count(id, 'call.denied')).toBe(0);
  });

  it('abandons an approved call nobody collected in time, and denies it once', async () => {
    const t = setup({ collectGraceMs: 100 });
    const id = await t.park('short', { text: 'never collected' });
    t.approve(id);

    await waitFor(() => t.gate.heldIds().length === 0, 'the uncollected approval to be let go');
    expect(t.types(id)).toEqual([
      'approval.requested',
      'approval.decision',
      'approval.approved',
      'approval.abandoned',
      'call.denied',
    ]);
    expect(t.denial(id)).toMatchObject({
      approval: 'abandoned',
      reason: expect.stringMatching(/^abandoned: it was approved, but nobody collected it/),
    });
    expect(t.review.get(id)).toMatchObject({ status: 'abandoned' });

    const late = await t.awaitApproval(id);
    expect(late.isError).toBe(true);
    expect(textOf(late)).toMatch(/ended: abandoned: it was approved, but nobody collected it/);
    expect(t.fx.ran).toHaveLength(0);
    expect(t.count(id, 'call.denied')).toBe(1);
  });

  it('tells a wait that comes after the collection deadline that it is too late, even before the sweep saw it', async () => {
    // A poll this slow means the sweep has not run yet when the agent comes back.
    const t = setup({ collectGraceMs: 0, pollMs: 5_000 });
    const id = await t.park('short', { text: 'too late' });
    t.approve(id);
    await sleep(500);
    const late = await t.awaitApproval(id);
    expect(late.isError).toBe(true);
    expect(textOf(late)).toMatch(/abandoned: it was approved, but nobody collected it/);
    expect(t.fx.ran).toHaveLength(0);
    expect(t.count(id, 'call.denied')).toBe(1);
  });

  it('writes one call.denied for a call that expired while the agent waited for it', async () => {
    const t = setup();
    const progress: number[] = [];
    const result = await t.call('short', { text: 'waiting' }, { progress });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/expired: no decision within 400ms/);
    expect(progress.length).toBeGreaterThan(2);
    await sleep(100);
    const id = t.idOf('waiting');
    expect(t.types(id)).toEqual(['approval.requested', 'approval.expired', 'call.denied']);
    expect(t.gate.heldIds()).toEqual([]);
  });
});

describe('the limit of held calls per session', () => {
  it('denies a call that needs approval beyond the limit, naming it, and records the denial', async () => {
    const t = setup({ maxHeldCalls: 2 });
    const first = await t.park('echo', { text: 'one' });
    await t.park('echo', { text: 'two' });

    const refused = await t.call('echo', { text: 'three' });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(
      /^Warden denied this call: this session already holds 2 calls waiting for approval, the most it keeps \(approvals.maxHeldCalls: 2\)\. It was not run\. No approval was requested\. Collect .*warden__await_approval/,
    );
    expect(t.gate.heldIds()).toHaveLength(2);
    expect(t.fx.ran).toHaveLength(0);

    // Its story: the intent, then the denial; no request exists for it.
    const refusedId = t.idOf('three');
    expect(t.types(refusedId)).toEqual(['call.denied']);
    expect(t.denial(refusedId)).toMatchObject({
      approval: 'failed',
      action: 'approve',
      reason: expect.stringMatching(/approvals.maxHeldCalls: 2/),
    });
    expect(t.review.get(refusedId)).toBeUndefined();

    // Once one of them ends, there is room again.
    t.review.decide(first, viaToken('bob'), 'reject', 'no');
    await waitFor(() => t.gate.heldIds().length === 1, 'the rejected call to be let go', 1_000);
    await t.park('echo', { text: 'four' });
    expect(t.gate.heldIds()).toHaveLength(2);
  });

  it('counts approved calls nobody collected yet', async () => {
    const t = setup({ maxHeldCalls: 1 });
    const id = await t.park('echo', { text: 'approved, not collected' });
    t.approve(id);
    await sleep(100);
    expect(textOf(await t.call('echo', { text: 'next' }))).toMatch(/approvals.maxHeldCalls: 1/);
    expect(textOf(await t.awaitApproval(id))).toBe('echo: approved, not collected');
    expect(textOf(await t.call('echo', { text: 'next' }))).toMatch(/^Approval pending/);
  });
});

describe('concurrent waits for one approval', () => {
  it('runs the approved call once, gives every wait its result, and writes no call.denied', async () => {
    const t = setup();
    const id = await t.park('echo', { text: 'race-test' });
    const progress: number[] = [];
    const waits = [t.awaitApproval(id), t.awaitApproval(id, { progress }), t.awaitApproval(id)];
    await sleep(100);
    t.approve(id);

    const results = await Promise.all(waits);
    for (const result of results) {
      expect(result.isError).toBeFalsy();
      expect(textOf(result)).toBe('echo: race-test');
    }
    expect(t.fx.ran).toHaveLength(1);
    await waitFor(() => t.types(id).includes('call.outcome'), 'the outcome');
    expect(t.count(id, 'approval.executing')).toBe(1);
    expect(t.count(id, 'call.outcome')).toBe(1);
    expect(t.count(id, 'call.denied')).toBe(0);

    const again = await t.awaitApproval(id);
    expect(again.isError).toBe(true);
    expect(textOf(again)).toMatch(/already run; its result went to the wait that ran it/);
    expect(t.count(id, 'call.denied')).toBe(0);
  });

  it('lets a wait that starts while the call runs share its result', async () => {
    const t = setup();
    const id = await t.park('echo', { text: 'slow one' });
    t.fx.hold();
    t.approve(id);
    const first = t.awaitApproval(id);
    await waitFor(() => t.fx.ran.length === 1, 'the call to start');
    const second = t.awaitApproval(id);
    t.fx.release();
    expect(textOf(await first)).toBe('echo: slow one');
    expect(textOf(await second)).toBe('echo: slow one');
    expect(t.fx.ran).toHaveLength(1);
    expect(t.count(id, 'call.denied')).toBe(0);
  });

  it('keeps the run going when one wait is cancelled, and cancels it when every wait is', async () => {
    const t = setup();
    const id = await t.park('echo', { text: 'shared' });
    t.fx.hold();
    t.approve(id);
    const quitter = new AbortController();
    const stayer = new AbortController();
    const quitting = t.awaitApproval(id, { signal: quitter.signal });
    const staying = t.awaitApproval(id, { signal: stayer.signal });
    await waitFor(() => t.fx.ran.length === 1, 'the call to start');
    quitter.abort('the agent gave up on one wait');
    await sleep(50);
    expect(t.fx.ran[0]!.cancelled).toBe(false);
    t.fx.release();
    expect(textOf(await staying)).toBe('echo: shared');
    await quitting;

    const alone = await t.park('echo', { text: 'abandon me' });
    t.fx.hold();
    t.approve(alone);
    const only = new AbortController();
    const waiting = t.awaitApproval(alone, { signal: only.signal });
    await waitFor(() => t.fx.ran.length === 2, 'the second call to start');
    only.abort('the agent went away');
    await expect(waiting).rejects.toThrow(/the agent went away/);
    expect(t.fx.ran[1]!.cancelled).toBe(true);
    await waitFor(() => t.types(alone).includes('call.outcome'), 'the outcome');
    expect(t.events(alone).find((e) => e.type === 'call.outcome')?.data).toMatchObject({
      status: 'cancelled',
    });
    expect(t.count(alone, 'call.denied')).toBe(0);
    t.fx.release();
  });
});

describe('stopping and cancelling', () => {
  it('releaseAll cancels pending calls, abandons approved ones nobody collected, and denies each once', async () => {
    const t = setup();
    const pending = await t.park('echo', { text: 'pending' });
    const approved = await t.park('echo', { text: 'approved' });
    t.approve(approved);
    await sleep(100);

    t.gate.releaseAll('the gateway stopped while the call waited for approval');
    expect(t.gate.heldIds()).toEqual([]);
    expect(t.types(pending)).toEqual(['approval.requested', 'approval.cancelled', 'call.denied']);
    expect(t.denial(pending)).toMatchObject({ approval: 'cancelled' });
    expect(t.types(approved)).toEqual([
      'approval.requested',
      'approval.decision',
      'approval.approved',
      'approval.abandoned',
      'call.denied',
    ]);
    expect(t.denial(approved)).toMatchObject({
      approval: 'abandoned',
      reason: expect.stringMatching(/^abandoned: the gateway stopped .*approved but not collected/),
    });

    // Nothing parks afterwards, and nothing more is written for the released calls.
    const late = await t.call('echo', { text: 'too late' });
    expect(textOf(late)).toMatch(/^Warden denied this call: the gateway is stopping/);
    await sleep(100);
    expect(t.count(pending, 'call.denied')).toBe(1);
    expect(t.count(approved, 'call.denied')).toBe(1);
    expect(t.fx.ran).toHaveLength(0);
  });

  it('never runs a held call the agent cancelled as its approval came in', async () => {
    const t = setup();
    const cancel = new CallCancel();
    const progress: number[] = [];
    const call = t.call('echo', { text: 'cancelled as approved' }, { progress, cancel });
    await waitFor(() => progress.length > 0, 'the call to be held');
    const id = t.idOf('cancelled as approved');
    t.approve(id);
    cancel.cancel('the user pressed stop');

    const result = await call;
    expect(result.isError).toBe(true);
    expect(t.fx.ran).toHaveLength(0);
    expect(t.types(id)).toEqual([
      'approval.requested',
      'approval.decision',
      'approval.approved',
      'approval.abandoned',
      'call.denied',
    ]);
    expect(t.denial(id)).toMatchObject({ approval: 'abandoned' });
  });
});
