// End to end with a Streamable HTTP downstream: URL and headers from config, a secret from the environment.
import { spawn, type ChildProcess } from 'node:child_process';
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
