// End to end against @modelcontextprotocol/server-everything: results, progress, prompts and resources pass through.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { EVERYTHING_SERVER, startWarden, type WardenHarness } from './harness.js';

describe('gateway in front of server-everything', () => {
  let warden: WardenHarness;
  let direct: Client;

  beforeAll(async () => {
    warden = await startWarden({
      servers: { every: { command: process.execPath, args: [EVERYTHING_SERVER, 'stdio'] } },
    });
    direct = new Client({ name: 'direct', version: '1.0.0' });
    await direct.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [EVERYTHING_SERVER, 'stdio'],
        stderr: 'ignore',
      }),
    );
  });
  afterAll(async () => {
    await warden?.close();
    await direct?.close();
  });

  it('lists the same tools as the server itself, with identical definitions apart from the name', async () => {
    const [viaWarden, viaDirect] = await Promise.all([warden.client.listTools(), direct.listTools()]);
    expect(viaWarden.tools.length).toBe(viaDirect.tools.length);
    for (const tool of viaDirect.tools) {
      const exposed = viaWarden.tools.find(
        (t) => t.name === `every__${tool.name.replace(/[^a-zA-Z0-9_-]/g, '_')}`,
      );
      expect(exposed, tool.name).toBeDefined();
      expect({ ...exposed, name: tool.name }).toEqual(tool);
    }
  });

  it('passes structuredContent and every content type through untouched', async () => {
    for (const [name, args] of [
      ['get-structured-content', { location: 'New York' }],
      ['get-tiny-image', {}],
      ['get-resource-links', { count: 2 }],
      ['get-annotated-message', { messageType: 'error', includeImage: true }],
    ] as const) {
      const viaWarden = await warden.client.callTool(
        { name: `every__${name}`, arguments: args },
        CallToolResultSchema,
      );
      const viaDirect = await direct.callTool({ name, arguments: args }, CallToolResultSchema);
      expect(viaWarden, name).toEqual(viaDirect);
    }
  });

  it('relays progress notifications with the caller’s own token', async () => {
    const progress: number[] = [];
    const result = await warden.client.callTool(
      { name: 'every__trigger-long-running-operation', arguments: { duration: 0.6, steps: 3 } },
      CallToolResultSchema,
      { onprogress: (p) => progress.push(p.progress) },
    );
    expect(result.isError).toBeFalsy();
    // The SDK client may drop the last notification when it arrives in the same read as the result.
    expect(progress.slice(0, 2)).toEqual([1, 2]);
    expect(progress.every((p, i) => i === 0 || p > progress[i - 1]!)).toBe(true);
  });

  it('passes prompts through under <server>__<prompt> names', async () => {
    const { prompts } = await warden.client.listPrompts();
    const direct_ = await direct.listPrompts();
    expect(prompts.length).toBe(direct_.prompts.length);
    const simple = direct_.prompts[0]!;
    const exposed = prompts.find((p) => p.name === `every__${simple.name}`);
    expect(exposed).toBeDefined();
    const args = Object.fromEntries(
      (simple.arguments ?? []).filter((a) => a.required).map((a) => [a.name, 'x']),
    );
    const got = await warden.client.getPrompt({ name: exposed!.name, arguments: args });
    expect(got).toEqual(await direct.getPrompt({ name: simple.name, arguments: args }));
    const events = await warden.callEvents(exposed!.name);
    expect(events.map((e) => e.type)).toEqual(['call.intent', 'call.outcome']);
    expect(events[0]!.data).toMatchObject({
      server: 'every',
      tool: 'prompts/get',
      args: { name: simple.name, arguments: args },
      action: 'allow',
    });
    expect(events[1]!.data).toMatchObject({ status: 'ok', isError: false });
  });

  it('passes resources through with their own URIs', async () => {
    const { resources } = await warden.client.listResources();
    const direct_ = await direct.listResources();
    expect(resources.map((r) => r.uri)).toEqual(direct_.resources.map((r) => r.uri));
    const first = resources[0]!;
    expect(await warden.client.readResource({ uri: first.uri })).toEqual(
      await direct.readResource({ uri: first.uri }),
    );
    const events = await warden.callEvents(first.uri);
    expect(events.map((e) => e.type)).toEqual(['call.intent', 'call.outcome']);
    expect(events[0]!.data).toMatchObject({
      server: 'every',
      tool: 'resources/read',
      args: { uri: first.uri },
    });
    expect(events[1]!.data).toMatchObject({ status: 'ok' });
    expect((events[1]!.data.resultBytes as number) > 0).toBe(true);
    const templates = await warden.client.listResourceTemplates();
    expect(templates.resourceTemplates).toEqual((await direct.listResourceTemplates()).resourceTemplates);
  });

  it("answers an unknown resource or prompt with one error, not one wrapped in McpError's prefix twice", async () => {
    await expect(warden.client.readResource({ uri: 'nowhere://x' })).rejects.toThrow(
      /^MCP error -32602: no downstream server offers resource "nowhere:\/\/x"; list the resources again$/,
    );
    await expect(warden.client.getPrompt({ name: 'every__nope' })).rejects.toThrow(
      /^MCP error -32602: unknown prompt "every__nope"; list the prompts again$/,
    );
  });
});

describe('resources and prompts under a policy', () => {
  let warden: WardenHarness;
  beforeAll(async () => {
    warden = await startWarden({
      servers: { every: { command: process.execPath, args: [EVERYTHING_SERVER, 'stdio'] } },
      policy: [
        'rules:',
        '  - id: no-static-resources',
        "    match: { tool: resources/read, args: { uri: { regex: '/architecture[.]md$' } } }",
        '    risk: high',
        '    action: deny',
        '    reason: The architecture is off limits',
        '  - id: prompts-need-a-human',
        '    match: { tool: prompts/get }',
        '    risk: high',
        '    action: approve',
        '  - id: allow-the-rest',
        '    risk: low',
        '    action: allow',
      ].join('\n'),
    });
  });
  afterAll(async () => {
    await warden?.close();
  });

  it('refuses a resource the policy denies, and records the intent and the denial', async () => {
    const { resources } = await warden.client.listResources();
    const denied = resources.find((r) => r.uri.endsWith('/architecture.md'));
    expect(denied).toBeDefined();
    await expect(warden.client.readResource({ uri: denied!.uri })).rejects.toThrow(
      `MCP error -32600: Warden denied reading resource "${denied!.uri}": The architecture is off limits (risk high, rule no-static-resources)`,
    );
    const events = await warden.callEvents(denied!.uri);
    expect(events.map((e) => e.type)).toEqual(['call.intent', 'call.denied']);
    expect(events[1]!.data).toMatchObject({
      action: 'deny',
      rules: ['no-static-resources', 'allow-the-rest'],
    });
  });

  it('refuses, fail closed, a prompt that needs approval: prompts/get cannot wait for a human', async () => {
    const { prompts } = await warden.client.listPrompts();
    const name = prompts.find((p) => !(p.arguments ?? []).some((a) => a.required))!.name;
    await expect(warden.client.getPrompt({ name })).rejects.toThrow(
      /Warden denied prompt ".*": .*it needs human approval, and prompts\/get cannot wait for one, so it is refused/,
    );
    const events = await warden.callEvents(name);
    expect(events.map((e) => e.type)).toEqual(['call.intent', 'call.denied']);
  });
});
