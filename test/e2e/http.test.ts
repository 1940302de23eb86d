// End to end with a Streamable HTTP downstream: URL and headers from config, a secret from the environment.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HTTP_FIXTURE_SERVER, startWarden, textOf, waitFor, type WardenHarness } from './harness.js';

describe('Streamable HTTP downstream', () => {
  let server: ChildProcess;
  let url = '';
  let warden: WardenHarness | undefined;

  beforeAll(async () => {
    server = spawn(
      process.execPath,
      [HTTP_FIXTURE_SERVER, '--port', '0', '--require-token', 's3cret-token'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    server.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    url = (await waitFor(
      () => out.split('\n')[1] !== undefined && out.split('\n')[0],
      10_000,
      'HTTP fixture URL',
    )) as string;
  });
  afterAll(async () => {
    await warden?.close();
    server?.kill();
  });

  it('connects with the configured header, interpolating ${VAR} from the environment', async () => {
    warden = await startWarden({
      servers: { remote: { url, headers: { Authorization: 'Bearer ${FIXTURE_TOKEN}' } } },
      env: { FIXTURE_TOKEN: 's3cret-token' },
    });
    const { tools } = await warden.client.listTools();
    expect(tools.some((t) => t.name === 'remote__echo')).toBe(true);
    const result = await warden.client.callTool({ name: 'remote__echo', arguments: { text: 'over http' } });
    expect(textOf(result)).toContain('over http');
    const events = warden.events();
    expect(events.some((e) => e.type === 'server.connected' && e.data.transport === 'http')).toBe(true);
    // The token is used on the wire but never written to the log.
    expect(JSON.stringify(events)).not.toContain('s3cret-token');
  });

  it('sends user:password@ in the url as Basic credentials, which fetch would refuse in the url', async () => {
    const withCredentials = new URL(url);
    withCredentials.username = 'agent';
    withCredentials.password = 's3cret-token';
    const other = await startWarden({ servers: { remote: { url: withCredentials.toString() } } });
    try {
      const result = await other.client.callTool({ name: 'remote__echo', arguments: { text: 'basic' } });
      expect(textOf(result)).toContain('basic');
      expect(JSON.stringify(other.events()) + other.stderr()).not.toContain('s3cret-token');
    } finally {
      await other.close();
    }
  });

  it('names the url and the network error of a server it cannot reach, without its credentials', async () => {
    // A port nothing listens on: bound, then closed again.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const other = await startWarden({
      servers: { remote: { url: `http://bob:pa55word@127.0.0.1:${port}/mcp?key=k3y` } },
      config: { gateway: { restart: { maxAttempts: 0, initialDelayMs: 100, maxDelayMs: 100 } } },
    });
    try {
      await other.client.listTools();
      expect(other.stderr()).toMatch(
        new RegExp(
          `server "remote" failed to start: http://127\\.0\\.0\\.1:${port}/mcp: .*ECONNREFUSED.*; giving up`,
        ),
      );
      expect(other.stderr() + JSON.stringify(other.events())).not.toMatch(/pa55word|k3y/);
    } finally {
      await other.close();
    }
  });

  it('reports a server that refuses the credentials and keeps serving', async () => {
    const other = await startWarden({
      servers: { remote: { url, headers: { Authorization: 'Bearer wrong' } } },
      config: { gateway: { restart: { maxAttempts: 0, initialDelayMs: 100, maxDelayMs: 100 } } },
    });
    try {
      const { tools } = await other.client.listTools();
      expect(tools).toHaveLength(0);
      expect(other.stderr()).toMatch(/server "remote" failed to start/);
    } finally {
      await other.close();
    }
  });
});
