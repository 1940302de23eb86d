// End to end: SDK client → `warden serve` → fixture server, and reviewers deciding through `warden review`'s HTTP
// API, all sharing one SQLite file. Each test checks what ran downstream and what the audit log says.
import { spawnSync } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { TOKENS, startApprovalSetup, type ApprovalSetup } from './approvals-harness.js';
import { WARDEN_CLI, readEvents, textOf, waitFor } from './harness.js';

function downstreamCalls(statePath: string, name: string): Array<Record<string, unknown>> {
  if (!existsSync(statePath)) return [];
  return readFileSync(statePath, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.event === 'call' && l.name === name);
}

/** The audit event types of one request, in order, once the request has reached `last`. */
async function storyOf(dbPath: string, requestId: string, last: string): Promise<string[]> {
  const types = () =>
    readEvents(dbPath)
      .filter((e) => e.requestId === requestId)
      .map((e) => e.type);
  await waitFor(() => types().includes(last), 5_000, `${last} for ${requestId}`);
  return types();
}

const requestIdOf = (text: string) => text.match(/request ([A-Za-z0-9_-]{10,})/)?.[1];

describe('approvals end to end', () => {
  let setup: ApprovalSetup | undefined;
  afterEach(async () => {
    await setup?.close();
    setup = undefined;
  });

  /** Parks an fx__echo call (held, with a progress token) and returns its pending request. */
  const parkEcho = (text: string) => {
    heldCall('fx__echo', { text }).catch(() => undefined);
    return setup!.pendingFor('fx__echo');
  };

  /** Calls a tool with a progress token, so Warden holds the call while it waits. */
  const heldCall = (name: string, args: Record<string, unknown>, progress: number[] = []) =>
    setup!.warden.client.callTool({ name, arguments: args }, CallToolResultSchema, {
      onprogress: (p) => progress.push(p.progress),
      resetTimeoutOnProgress: true,
      timeout: 30_000,
    });

  it('lists Warden’s own tools beside the downstream ones', async () => {
    setup = await startApprovalSetup();
    const { tools } = await setup.warden.client.listTools();
    const names = tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['warden__await_approval', 'warden__reply', 'fx__echo']));
    expect(tools.find((t) => t.name === 'warden__await_approval')!.description).toMatch(/approval/);
  });

  it('runs an approved call once, with exactly the arguments that were approved', async () => {
    setup = await startApprovalSetup();
    const call = heldCall('fx__echo', { text: 'ship it' });
    const pending = await setup.pendingFor('fx__echo');
    expect(pending).toMatchObject({ status: 'pending', risk: 'high', quorum: 1 });
    expect(pending.arguments).toEqual({ text: 'ship it' });

    const decided = await setup.api('POST', `/api/requests/${pending.id}/decision`, TOKENS.bob, {
      decision: 'approve',
      comment: 'fine',
    });
    expect(decided.status).toBe(200);
    const result = await call;
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toContain('ship it');
    const ran = downstreamCalls(setup.statePath, 'echo');
    expect(ran).toHaveLength(1);
    expect(ran[0]!.args).toEqual({ text: 'ship it' });

    const types = (await setup.warden.callEvents('fx__echo')).map((e) => e.type);
    expect(types).toEqual(
      expect.arrayContaining([
        'call.intent',
        'approval.requested',
        'approval.decision',
        'approval.approved',
        'call.outcome',
      ]),
    );
    expect(types.indexOf('approval.approved')).toBeLessThan(types.indexOf('call.outcome'));
  });

  it('returns a rejection with the reviewer’s reason, and nothing runs', async () => {
    setup = await startApprovalSetup();
    const call = heldCall('fx__echo', { text: 'drop prod' });
    const pending = await setup.pendingFor('fx__echo');
    const rejected = await setup.api('POST', `/api/requests/${pending.id}/decision`, TOKENS.carol, {
      decision: 'reject',
      comment: 'not during the freeze',
    });
    expect(rejected.status).toBe(200);
    const result = await call;
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/not during the freeze/);
    expect(downstreamCalls(setup.statePath, 'echo')).toHaveLength(0);
    const events = await setup.warden.callEvents('fx__echo');
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['approval.rejected', 'call.denied']));
  });

  it('hands a reviewer’s question to the agent, stores its answer, then runs on approval', async () => {
    setup = await startApprovalSetup();
    const first = heldCall('fx__echo', { text: 'why?' });
    const pending = await setup.pendingFor('fx__echo');
    const asked = await setup.api('POST', `/api/requests/${pending.id}/decision`, TOKENS.bob, {
      decision: 'ask',
      comment: 'Which environment is this for?',
    });
    expect(asked.status).toBe(200);
    const question = await first;
    expect(question.isError).toBeFalsy();
    expect(textOf(question)).toMatch(/Which environment is this for\?/);
    expect(textOf(question)).toMatch(/warden__reply/);

    const reply = await setup.warden.client.callTool({
      name: 'warden__reply',
      arguments: { id: pending.id, answer: 'staging only, log in with password=hunter2' },
    });
    expect(reply.isError).toBeFalsy();
    const shown = await setup.api('GET', `/api/requests/${pending.id}`, TOKENS.bob);
    // The answer is the agent's text: secrets in it are masked before reviewers or the log see it.
    expect(JSON.stringify(shown.json)).toContain('staging only, log in with password=[REDACTED]');
    expect(JSON.stringify(shown.json)).not.toContain('hunter2');

    const waiting = setup.warden.client.callTool(
      { name: 'warden__await_approval', arguments: { id: pending.id } },
      CallToolResultSchema,
      { onprogress: () => undefined, resetTimeoutOnProgress: true },
    );
    await setup.api('POST', `/api/requests/${pending.id}/decision`, TOKENS.bob, {
      decision: 'approve',
      comment: '',
    });
    const result = await waiting;
    expect(textOf(result)).toContain('why?');
    expect(downstreamCalls(setup.statePath, 'echo')).toHaveLength(1);
    const types = (await setup.warden.callEvents('fx__echo')).map((e) => e.type);
    expect(types).toEqual(
      expect.arrayContaining(['approval.question', 'approval.answer', 'approval.approved']),
    );
    expect(JSON.stringify(setup.warden.events())).not.toContain('hunter2');
  });

  it('needs two distinct reviewers for a quorum of two; one person counts once', async () => {
    setup = await startApprovalSetup();
    const call = heldCall('fx__add', { a: 1, b: 2 });
    const pending = await setup.pendingFor('fx__add');
    expect(pending.quorum).toBe(2);
    expect(
      (await setup.api('POST', `/api/requests/${pending.id}/decision`, TOKENS.bob, { decision: 'approve' }))
        .status,
    ).toBe(200);
    const twice = await setup.api('POST', `/api/requests/${pending.id}/decision`, TOKENS.bob, {
      decision: 'approve',
    });
    expect(twice.status).toBe(409);
    expect(downstreamCalls(setup.statePath, 'add')).toHaveLength(0);
    expect(
      (await setup.api('POST', `/api/requests/${pending.id}/decision`, TOKENS.carol, { decision: 'approve' }))
        .status,
    ).toBe(200);
    const result = await call;
    expect(result.structuredContent).toEqual({ sum: 3 });
    expect(downstreamCalls(setup.statePath, 'add')).toHaveLength(1);
    const story = await storyOf(setup.warden.dbPath, pending.id, 'call.outcome');
    expect(story.filter((t) => t === 'approval.decision')).toHaveLength(2);
    expect(story.filter((t) => t === 'approval.refused')).toHaveLength(1);
    expect(story.indexOf('approval.approved')).toBeGreaterThan(story.lastIndexOf('approval.decision'));
  });

  it('refuses self-approval and unlisted reviewers, and records the refusals', async () => {
    setup = await startApprovalSetup();
    const call = heldCall('fx__echo', { text: 'mine' });
    const pending = await setup.pendingFor('fx__echo');
    const self = await setup.api('POST', `/api/requests/${pending.id}/decision`, TOKENS.alice, {
      decision: 'approve',
    });
    expect(self.status).toBe(403);
    expect(JSON.stringify(self.json)).toMatch(/own|requester|separation/i);
    const outsider = await setup.api('POST', `/api/requests/${pending.id}/decision`, TOKENS.mallory, {
      decision: 'approve',
    });
    expect(outsider.status).toBe(403);
    const unknown = await setup.api('POST', `/api/requests/${pending.id}/decision`, 'not-a-token', {
      decision: 'approve',
    });
    expect(unknown.status).toBe(401);
    expect(downstreamCalls(setup.statePath, 'echo')).toHaveLength(0);
    const events = readEvents(setup.warden.dbPath).filter((e) => e.requestId === pending.id);
    expect(events.filter((e) => e.type === 'approval.refused')).toHaveLength(2);
    // Still pending: a rightful reviewer can decide.
    await setup.api('POST', `/api/requests/${pending.id}/decision`, TOKENS.bob, {
      decision: 'reject',
      comment: 'no',
    });
    expect((await call).isError).toBe(true);
  });

  it('lets the first final decision win and answers later ones with 409', async () => {
    setup = await startApprovalSetup();
    const call = heldCall('fx__echo', { text: 'race' });
    const pending = await setup.pendingFor('fx__echo');
    expect(
      (await setup.api('POST', `/api/requests/${pending.id}/decision`, TOKENS.bob, { decision: 'approve' }))
        .status,
    ).toBe(200);
    const late = await setup.api('POST', `/api/requests/${pending.id}/decision`, TOKENS.carol, {
      decision: 'reject',
      comment: 'too late',
    });
    expect(late.status).toBe(409);
    expect(JSON.stringify(late.json)).toMatch(/already/);
    expect((await call).isError).toBeFalsy();
    expect(downstreamCalls(setup.statePath, 'echo')).toHaveLength(1);
    const story = await storyOf(setup.warden.dbPath, pending.id, 'call.outcome');
    expect(story).toContain('approval.refused');
    expect(story).not.toContain('approval.rejected');
  });

  it('expires a request nobody decided, denies the call, and refuses a decision after expiry', async () => {
    setup = await startApprovalSetup();
    const result = await heldCall('fx__slow', { ms: 10, steps: 1 });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/expired: no decision within 2s/);
    const events = await setup.warden.callEvents('fx__slow');
    const id = events[0]!.requestId!;
    const late = await setup.api('POST', `/api/requests/${id}/decision`, TOKENS.bob, { decision: 'approve' });
    expect(late.status).toBe(409);
    expect(downstreamCalls(setup.statePath, 'slow')).toHaveLength(0);
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['approval.expired', 'call.denied']));
  });

  it('cancels the request when the client cancels the waiting call; it never runs later', async () => {
    setup = await startApprovalSetup();
    const controller = new AbortController();
    const call = setup.warden.client.callTool(
      { name: 'fx__echo', arguments: { text: 'cancel me' } },
      CallToolResultSchema,
      {
        onprogress: () => undefined,
        signal: controller.signal,
      },
    );
    const pending = await setup.pendingFor('fx__echo');
    controller.abort('changed my mind');
    await expect(call).rejects.toThrow();
    await waitFor(
      async () =>
        (await setup!.api('GET', `/api/requests/${pending.id}`, TOKENS.bob)).json?.request?.status ===
        'cancelled',
    );
    const late = await setup.api('POST', `/api/requests/${pending.id}/decision`, TOKENS.bob, {
      decision: 'approve',
    });
    expect(late.status).toBe(409);
    await new Promise((r) => setTimeout(r, 500));
    expect(downstreamCalls(setup.statePath, 'echo')).toHaveLength(0);
    const story = await storyOf(setup.warden.dbPath, pending.id, 'call.denied');
    expect(story).toEqual(expect.arrayContaining(['approval.cancelled', 'approval.refused', 'call.denied']));
    expect(story).not.toContain('call.outcome');
  });

  it('keeps an SDK client with resetTimeoutOnProgress alive past its own timeout with heartbeats', async () => {
    setup = await startApprovalSetup();
    const progress: number[] = [];
    const call = setup.warden.client.callTool(
      { name: 'fx__echo', arguments: { text: 'patience' } },
      CallToolResultSchema,
      {
        onprogress: (p) => progress.push(p.progress),
        resetTimeoutOnProgress: true,
        timeout: 1000,
      },
    );
    const pending = await setup.pendingFor('fx__echo');
    await new Promise((r) => setTimeout(r, 2500));
    await setup.api('POST', `/api/requests/${pending.id}/decision`, TOKENS.bob, { decision: 'approve' });
    const result = await call;
    expect(textOf(result)).toContain('patience');
    expect(progress.length).toBeGreaterThanOrEqual(5);
    expect(progress.every((p, i) => i === 0 || p > progress[i - 1]!)).toBe(true);
    const story = await storyOf(setup.warden.dbPath, pending.id, 'call.outcome');
    expect(story).toEqual(
      expect.arrayContaining(['approval.requested', 'approval.approved', 'approval.executing']),
    );
  });

  it('answers at once without a progress token, and the agent waits through warden__await_approval', async () => {
    setup = await startApprovalSetup();
    const first = await setup.warden.client.callTool({ name: 'fx__echo', arguments: { text: 'later' } });
    expect(first.isError).toBeFalsy();
    expect(textOf(first)).toMatch(/Approval pending/);
    expect(textOf(first)).toMatch(/warden__await_approval/);
    const id = requestIdOf(textOf(first))!;
    expect(id).toBeDefined();

    const waiting = setup.warden.client.callTool(
      { name: 'warden__await_approval', arguments: { id } },
      CallToolResultSchema,
      { onprogress: () => undefined, resetTimeoutOnProgress: true },
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(downstreamCalls(setup.statePath, 'echo')).toHaveLength(0);
    await setup.api('POST', `/api/requests/${id}/decision`, TOKENS.bob, { decision: 'approve' });
    expect(textOf(await waiting)).toContain('later');
    // The approval was used: waiting again says so instead of running the call twice.
    const again = await setup.warden.client.callTool({ name: 'warden__await_approval', arguments: { id } });
    expect(again.isError).toBe(true);
    expect(textOf(again)).toMatch(/already run|runs once/);
    expect(downstreamCalls(setup.statePath, 'echo')).toHaveLength(1);
    const story = await storyOf(setup.warden.dbPath, id, 'call.outcome');
    expect(story.filter((t) => t === 'approval.executing')).toHaveLength(1);
    expect(story.filter((t) => t === 'call.outcome')).toHaveLength(1);
  });

  it('answers a pending call to a tool with an output schema in a form the SDK client accepts, then runs it', async () => {
    setup = await startApprovalSetup();
    // The SDK client checks every non-error result of fx__add against its output schema: it would throw here.
    const first = await setup.warden.client.callTool({ name: 'fx__add', arguments: { a: 2, b: 3 } });
    expect(first.isError).toBe(true);
    expect(textOf(first)).toMatch(/^Approval pending: .*did not fail\.\)$/);
    const id = requestIdOf(textOf(first))!;
    for (const token of [TOKENS.bob, TOKENS.carol]) {
      await setup.api('POST', `/api/requests/${id}/decision`, token, { decision: 'approve' });
    }
    const result = await setup.warden.client.callTool({ name: 'warden__await_approval', arguments: { id } });
    expect(result.structuredContent).toEqual({ sum: 5 });
    expect(downstreamCalls(setup.statePath, 'add')).toHaveLength(1);
  });

  it('cancels a held request when the agent goes away, and the call shows as denied, not pending', async () => {
    setup = await startApprovalSetup();
    const pending = await parkEcho('left behind');
    await setup.warden.client.close();
    const story = await storyOf(setup.warden.dbPath, pending.id, 'call.denied');
    expect(story).toEqual(
      expect.arrayContaining(['approval.requested', 'approval.cancelled', 'call.denied']),
    );
    expect(story.filter((t) => t === 'call.denied')).toHaveLength(1);
    const run = spawnSync(
      process.execPath,
      [WARDEN_CLI, 'audit', 'list', '--db', setup.warden.dbPath, '--json'],
      { encoding: 'utf8' },
    );
    const row = run.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((r) => r.requestId === pending.id);
    expect(row).toMatchObject({ status: 'denied', decision: 'cancelled' });
    expect(downstreamCalls(setup.statePath, 'echo')).toHaveLength(0);
  });

  it('marks a killed gateway’s pending request abandoned on the next start, and it never runs', async () => {
    setup = await startApprovalSetup();
    const pending = await parkEcho('orphan');
    const pid = setup.warden.transport.pid!;
    process.kill(pid, 'SIGKILL');
    await waitFor(() => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    });
    // A new gateway on the same database cleans up after the dead one.
    const configPath = setup.warden.configPath;
    const again = new Client({ name: 'second-agent', version: '1' });
    await again.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [WARDEN_CLI, 'serve', '--config', configPath],
        stderr: 'ignore',
      }),
    );
    try {
      await waitFor(
        async () =>
          (await setup!.api('GET', `/api/requests/${pending.id}`, TOKENS.bob)).json?.request?.status ===
          'abandoned',
      );
      const late = await setup.api('POST', `/api/requests/${pending.id}/decision`, TOKENS.bob, {
        decision: 'approve',
      });
      expect(late.status).toBe(409);
      expect(downstreamCalls(setup.statePath, 'echo')).toHaveLength(0);
      const events = readEvents(setup.warden.dbPath).filter((e) => e.requestId === pending.id);
      expect(events.map((e) => e.type)).toContain('approval.abandoned');
    } finally {
      await again.close();
    }
  });

  it('has the review service abandon a killed gateway’s request even when no gateway starts again', async () => {
    setup = await startApprovalSetup();
    const pending = await parkEcho('orphan');
    process.kill(setup.warden.transport.pid!, 'SIGKILL');
    await waitFor(
      async () =>
        (await setup!.api('GET', `/api/requests/${pending.id}`, TOKENS.bob)).json?.request?.status ===
        'abandoned',
      15_000,
      'the review service to abandon the request',
    );
    expect(downstreamCalls(setup.statePath, 'echo')).toHaveLength(0);
  });

  it('fails closed when no review service is running', async () => {
    setup = await startApprovalSetup();
    await setup.review.stop();
    // The stopped service's heartbeat must age out before the gateway concludes nobody is there.
    await new Promise((r) => setTimeout(r, 100));
    const result = await heldCall('fx__echo', { text: 'nobody home' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/no review service/);
    expect(downstreamCalls(setup.statePath, 'echo')).toHaveLength(0);
    const events = await setup.warden.callEvents('fx__echo');
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['approval.failed', 'call.denied']));
  });

  it('lists and shows requests in the operator CLI', async () => {
    setup = await startApprovalSetup();
    const call = heldCall('fx__echo', { text: 'cli' });
    const pending = await setup.pendingFor('fx__echo');
    const list = spawnSync(
      process.execPath,
      [WARDEN_CLI, 'requests', 'list', '--pending', '--config', setup.warden.configPath],
      {
        encoding: 'utf8',
      },
    );
    expect(list.status).toBe(0);
    expect(list.stdout).toContain(pending.id);
    const show = spawnSync(
      process.execPath,
      [WARDEN_CLI, 'requests', 'show', pending.id, '--config', setup.warden.configPath],
      {
        encoding: 'utf8',
      },
    );
    expect(show.status).toBe(0);
    expect(show.stdout).toMatch(/group:ops/);
    await setup.api('POST', `/api/requests/${pending.id}/decision`, TOKENS.bob, {
      decision: 'reject',
      comment: 'cli test',
    });
    await call;
    const story = spawnSync(
      process.execPath,
      [WARDEN_CLI, 'audit', 'show', pending.id, '--config', setup.warden.configPath],
      {
        encoding: 'utf8',
      },
    );
    expect(story.stdout).toMatch(/approval\.requested[\s\S]*approval\.rejected[\s\S]*call\.denied/);
  });
});
