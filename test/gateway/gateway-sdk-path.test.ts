// The gateway over a transport that is not Warden's own stdio one (here the SDK's in-memory pair, as an HTTP upstream
// would be): tool calls then reach the same handler through the SDK's Protocol, with the same policy, audit, progress
// and cancellation. The downstream is the real fixture server over stdio.
import { afterEach, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { openAuditStore, type AuditStore } from '../../src/audit/index.js';
import { loadConfigFile } from '../../src/config/load.js';
import { AuditWriter } from '../../src/gateway/audit-writer.js';
import { Gateway } from '../../src/gateway/gateway.js';
import { SILENT_LOGGER } from '../../src/log.js';
import { loadPolicyFiles } from '../../src/policy/index.js';
import { FIXTURE_SERVER, textOf, waitFor, writeConfig } from '../e2e/harness.js';

const POLICY = `
rules:
  - id: echo-ok
    match: { tool: echo }
    risk: low
    action: allow
  - id: slow-tools
    match: { tool: [slow, hang] }
    risk: low
    action: allow
  - id: deny-crash
    match: { tool: crash }
    risk: high
    action: deny
    reason: crashing is not allowed
`;

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

async function gatewayOverTheSdk(): Promise<{ client: Client; store: AuditStore; writer: AuditWriter }> {
  const files = writeConfig({
    servers: { fx: { command: process.execPath, args: [FIXTURE_SERVER] } },
    policy: POLICY,
  });
  const { config } = loadConfigFile(files.configPath);
  const store = openAuditStore(config.database);
  const writer = new AuditWriter(store, SILENT_LOGGER);
  const gateway = new Gateway({
    config,
    policy: { current: loadPolicyFiles(config.policies) },
    audit: writer,
    logger: SILENT_LOGGER,
    sessionId: 'sdk-path',
    version: '0.0.0-test',
  });
  await gateway.startDownstreams();
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await gateway.connect(serverSide);
  const client = new Client({ name: 'sdk-path-test', version: '1.0.0' });
  await client.connect(clientSide);
  cleanup.push(async () => {
    await client.close();
    await gateway.close();
    writer.close();
    store.close();
  });
  return { client, store, writer };
}

describe('tool calls through the SDK Protocol (a non-stdio upstream)', () => {
  it('forwards an allowed call, denies by policy, and audits both', async () => {
    const { client, store, writer } = await gatewayOverTheSdk();
    const echo = await client.callTool({ name: 'fx__echo', arguments: { text: 'through the sdk' } });
    expect(textOf(echo)).toBe('through the sdk');
    const denied = await client.callTool({ name: 'fx__crash', arguments: {} });
    expect(denied.isError).toBe(true);
    expect(textOf(denied)).toMatch(/crashing is not allowed/);

    writer.flush();
    const requests = store.listRequests();
    expect(requests.map((r) => [r.exposedName, r.status])).toEqual([
      ['fx__crash', 'denied'],
      ['fx__echo', 'ok'],
    ]);
    expect(store.verify()).toMatchObject({ ok: true });
  });

  it('relays progress with the caller’s token, and a cancel reaches the downstream call', async () => {
    const { client, store, writer } = await gatewayOverTheSdk();
    const progress: number[] = [];
    const done = await client.callTool(
      { name: 'fx__slow', arguments: { ms: 120, steps: 3 } },
      CallToolResultSchema,
      {
        onprogress: (p) => progress.push(p.progress),
      },
    );
    expect(textOf(done)).toBe('done');
    expect(progress).toEqual([1, 2, 3]);

    const controller = new AbortController();
    const hanging = client.callTool({ name: 'fx__hang', arguments: {} }, CallToolResultSchema, {
      signal: controller.signal,
    });
    await new Promise((resolve) => setTimeout(resolve, 150));
    controller.abort('stop');
    await expect(hanging).rejects.toThrow();
    await waitFor(
      () => {
        writer.flush();
        return store.listRequests().find((r) => r.status === 'cancelled');
      },
      5_000,
      'the cancelled outcome',
    );
  });
});
