// The call pipeline in process: a real policy, a real audit log behind the batching writer, and a downstream that
// answers at once. What the audit records for an allowed call, and the request ids it records it under.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openAuditStore } from '../../src/audit/index.js';
import { AuditWriter } from '../../src/gateway/audit-writer.js';
import type { DownstreamConnection } from '../../src/gateway/downstream.js';
import { CallCancel } from '../../src/gateway/wire/cancel.js';
import { createCallPipeline, intentText, newRequestId, outcomeEvent } from '../../src/gateway/pipeline.js';
import type { CallIntentData } from '../../src/audit/types.js';
import { canonicalJson } from '../../src/redact/index.js';
import { SILENT_LOGGER } from '../../src/log.js';
import { compilePolicySources } from '../../src/policy/index.js';
import { hashArguments } from '../../src/redact/index.js';

const POLICY = [
  'rules:',
  '  - id: notes-write',
  '    match: { server: fs, tool: write_file, args: { path: { regex: "^/notes/" } } }',
  '    risk: low',
  '    action: allow',
  '',
].join('\n');

function pipelineWithLog() {
  const store = openAuditStore(path.join(mkdtempSync(path.join(tmpdir(), 'warden-pipeline-')), 'audit.db'));
  const writer = new AuditWriter(store, SILENT_LOGGER);
  const policy = compilePolicySources([{ file: '/policies/notes.yaml', text: POLICY }]);
  const handle = createCallPipeline({
    policy: { current: policy },
    audit: writer,
    principal: { id: 'alice@example.com' },
    sessionId: 'session-1',
    agent: () => ({ name: 'agent', version: '1.0' }),
    maxArgumentBytes: 65_536,
    callTimeoutMs: 10_000,
    excerptChars: 200,
    logger: SILENT_LOGGER,
  });
  // The downstream answers with what it was sent, as the fixture's echo does.
  const connection = {
    request: async (_method: string, params: Record<string, unknown> | undefined) => ({
      content: [{ type: 'text', text: JSON.stringify(params?.arguments) }],
    }),
  } as unknown as DownstreamConnection;
  const target = {
    server: 'fs',
    name: 'write_file',
    item: { name: 'write_file', inputSchema: { type: 'object' as const } },
    connection,
  };
  const call = (args: Record<string, unknown>) =>
    handle({
      exposedName: 'fs__write_file',
      target,
      args,
      meta: undefined,
      cancel: new CallCancel(),
      sendProgress: async () => undefined,
    });
  return { store, writer, call };
}

describe('the call pipeline', () => {
  it('records an intent whose hash and size match the arguments, and an outcome with the result size', async () => {
    const { store, writer, call } = pipelineWithLog();
    const args = {
      path: '/notes/today.md',
      content: 'héllo "world"',
      token: 'abcd-secret',
      options: { b: 1, a: [2] },
    };
    const result = await call(args);
    writer.close();

    const [intent, outcome] = [...store.events()];
    expect(intent).toMatchObject({ type: 'call.intent', sessionId: 'session-1' });
    expect(intent!.data).toMatchObject({
      action: 'allow',
      risk: 'low',
      argsHash: hashArguments({
        options: { a: [2], b: 1 },
        token: 'abcd-secret',
        content: 'héllo "world"',
        path: '/notes/today.md',
      }),
      argsBytes: Buffer.byteLength(JSON.stringify(args)),
      args: {
        path: '/notes/today.md',
        content: 'héllo "world"',
        token: '[REDACTED]',
        options: { b: 1, a: [2] },
      },
      rules: [
        {
          ruleId: 'notes-write',
          risk: 'low',
          action: 'allow',
          file: '/policies/notes.yaml',
          line: 2,
          why: expect.arrayContaining([expect.stringMatching(/args\.path/)]),
        },
      ],
    });
    expect(outcome).toMatchObject({ type: 'call.outcome', requestId: intent!.requestId });
    expect(outcome!.data).toMatchObject({
      status: 'ok',
      isError: false,
      resultBytes: Buffer.byteLength(JSON.stringify(result)),
    });
    expect(outcome!.data.excerpt).not.toContain('abcd-secret');
    expect(store.verify()).toMatchObject({ ok: true, count: 2 });
  });

  it("shows a rule's argument value in its why line as the log stores the arguments: no secret the redactor masks", async () => {
    const { store, writer, call } = pipelineWithLog();
    await call({ path: '/notes/x.md?password=SEKRETPW1&mode=w', content: 'c' });
    writer.close();
    const [intent] = [...store.events()];
    const why = (intent!.data.rules as Array<{ why: string[] }>)[0]!.why.join(' ');
    expect(why).toMatch(/args\.path "\/notes\/x\.md\?password=\[REDACTED\]&mode=w"/);
    expect(JSON.stringify(intent!.data)).not.toContain('SEKRETPW1');
    store.close();
  });

  it("records a client's cancel reason redacted: the agent wrote it", async () => {
    const store = openAuditStore(path.join(mkdtempSync(path.join(tmpdir(), 'warden-pipeline-')), 'audit.db'));
    const writer = new AuditWriter(store, SILENT_LOGGER);
    const handle = createCallPipeline({
      policy: { current: compilePolicySources([{ file: '/p.yaml', text: POLICY }]) },
      audit: writer,
      principal: { id: 'alice@example.com' },
      sessionId: 'session-1',
      agent: () => ({}),
      maxArgumentBytes: 65_536,
      callTimeoutMs: 10_000,
      excerptChars: 200,
      logger: SILENT_LOGGER,
    });
    // A downstream that answers only by failing once the call is cancelled, as a lane does.
    const connection = {
      request: (_m: string, _p: unknown, options: { cancel: CallCancel }) =>
        new Promise((_resolve, reject) => options.cancel.onCancel(() => reject(new Error('cancelled')))),
    } as unknown as DownstreamConnection;
    const cancel = new CallCancel();
    const running = handle({
      exposedName: 'fs__write_file',
      target: {
        server: 'fs',
        name: 'write_file',
        item: { name: 'write_file', inputSchema: { type: 'object' } },
        connection,
      },
      args: { path: '/notes/a.md', content: '' },
      meta: undefined,
      cancel,
      sendProgress: async () => undefined,
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    cancel.cancel('stop: password=hunter2 ghp_abcdefghijklmnopqrstuvwxyz0123456789');
    await expect(running).rejects.toThrow();
    writer.close();
    const outcome = [...store.events()].find((e) => e.type === 'call.outcome')!;
    expect(outcome.data).toMatchObject({ status: 'cancelled' });
    expect(String(outcome.data.error)).toMatch(/^cancelled by the client: stop: password=\[REDACTED\]/);
    expect(JSON.stringify(outcome.data)).not.toMatch(/hunter2|ghp_abcdef/);
    store.close();
  });

  it('records calls under ids that sort in the order the calls came', async () => {
    const { store, writer, call } = pipelineWithLog();
    for (let i = 0; i < 5; i += 1) {
      await call({ path: `/notes/${i}.md`, content: '' });
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    writer.close();
    const ids = [...store.events()].filter((e) => e.type === 'call.intent').map((e) => e.requestId!);
    expect(ids).toHaveLength(5);
    expect([...ids].sort()).toEqual(ids);
  });
});

describe('the texts the pipeline hands the store as they are', () => {
  // The store hashes dataText without re-serializing it: anything but canonicalJson(data) would fail verify().
  const intents: CallIntentData[] = [
    {
      action: 'allow',
      agent: { version: '1.0', name: 'agent' },
      args: { z: 1, a: { y: [3, { d: 1, c: 2 }], x: null }, '10': 'numeric key', é: 'accent', '': 'empty' },
      argsBytes: 120,
      argsHash: 'ab'.repeat(32),
      exposedName: 'fs__write_file',
      policyVersion: 'cd'.repeat(32),
      principal: { name: 'Alice', id: 'alice@example.com', email: 'alice@example.com' },
      reason: 'rule "notes" said so\n\u2028',
      risk: 'low',
      rules: [
        {
          action: 'allow',
          file: '/p/a.yaml',
          line: 3,
          risk: 'low',
          ruleId: 'notes',
          why: ['args.path "x" matches'],
        },
        { action: 'deny', risk: 'high', ruleId: 'default:unmatched', why: [] },
      ],
      server: 'fs',
      tool: 'write_file',
    },
    {
      action: 'approve',
      agent: {},
      args: {},
      argsBytes: 2,
      argsHash: '00'.repeat(32),
      exposedName: 'db__query',
      policyVersion: 'ef'.repeat(32),
      principal: { id: 'bob' },
      reason: '',
      risk: 'critical',
      rules: [],
      server: 'db',
      tool: 'query',
    },
  ];

  it('writes an intent exactly as canonicalJson would', () => {
    for (const intent of intents) {
      const text = intentText(intent, canonicalJson(intent.principal), canonicalJson(intent.agent));
      expect(text).toBe(canonicalJson(intent));
    }
  });

  it('writes an outcome exactly as canonicalJson would, with and without an error', () => {
    const events = [
      outcomeEvent('r1', 's1', 'ok', { isError: false, resultBytes: 42, excerpt: 'héllo "x"' }, 1.234),
      outcomeEvent('r2', 's1', 'failed', { error: 'boom\u0000' }, 0),
      outcomeEvent('r3', 's1', 'cancelled', {}, 12_345.678),
    ];
    for (const event of events) expect(event.dataText).toBe(canonicalJson(event.data));
  });
});

describe('newRequestId', () => {
  it('gives unique ids of the base-36 time and 16 random url-safe characters, later ones sorting later', async () => {
    const first = newRequestId();
    await new Promise((resolve) => setTimeout(resolve, 2));
    const batch = Array.from({ length: 1000 }, () => newRequestId());
    expect(new Set(batch).size).toBe(1000);
    for (const id of [first, ...batch]) expect(id).toMatch(/^[0-9a-z]{8}[A-Za-z0-9_-]{16}$/);
    expect(batch.every((id) => id > first)).toBe(true);
  });
});
