// Starts the real `warden serve` process (built dist/) with a temp config, and connects the SDK client to it.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { stringify } from 'yaml';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const WARDEN_CLI = path.join(ROOT, 'dist/cli/index.js');
export const FIXTURE_SERVER = path.join(ROOT, 'test/fixtures/fixture-server.mjs');
export const HTTP_FIXTURE_SERVER = path.join(ROOT, 'test/fixtures/http-fixture-server.mjs');
export const FILESYSTEM_SERVER = path.join(
  ROOT,
  'node_modules/@modelcontextprotocol/server-filesystem/dist/index.js',
);
export const EVERYTHING_SERVER = path.join(
  ROOT,
  'node_modules/@modelcontextprotocol/server-everything/dist/index.js',
);

const TERMINAL_EVENTS = new Set(['call.denied', 'call.rejected', 'call.outcome']);

export interface StoredEvent {
  seq: number;
  type: string;
  requestId: string | null;
  data: Record<string, unknown>;
}

export interface WardenHarness {
  client: Client;
  transport: StdioClientTransport;
  dir: string;
  configPath: string;
  policyPath: string;
  dbPath: string;
  /** Everything `warden serve` wrote to stderr so far. */
  stderr(): string;
  /** Every audit event, read from the real database file. */
  events(): StoredEvent[];
  /**
   * The events of the latest call whose intent or rejection names this exposed tool, once that call has a terminal
   * event (denied, rejected or outcome): outcomes are committed a few milliseconds after the response.
   */
  callEvents(exposedName: string): Promise<StoredEvent[]>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  servers: Record<string, Record<string, unknown>>;
  /** Policy YAML text; defaults to allowing everything at low risk. */
  policy?: string;
  config?: Record<string, unknown>;
  env?: Record<string, string>;
  /** Skip the client's initialize (for tests that drive the process themselves). */
  dir?: string;
}

export const ALLOW_ALL_POLICY = `
rules:
  - id: allow-all
    risk: low
    action: allow
`;

export function tempDir(prefix = 'warden-e2e-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** Writes warden.yaml and the policy into a temp folder. */
export function writeConfig(options: HarnessOptions): {
  dir: string;
  configPath: string;
  policyPath: string;
  dbPath: string;
} {
  const dir = options.dir ?? tempDir();
  const policyPath = path.join(dir, 'policy.yaml');
  writeFileSync(policyPath, options.policy ?? ALLOW_ALL_POLICY);
  const dbPath = path.join(dir, 'warden.db');
  const configPath = path.join(dir, 'warden.yaml');
  writeFileSync(
    configPath,
    stringify({
      principal: { id: 'alice@example.com', name: 'Alice' },
      database: dbPath,
      policies: [policyPath],
      servers: options.servers,
      ...options.config,
    }),
  );
  return { dir, configPath, policyPath, dbPath };
}

export function readEvents(dbPath: string): StoredEvent[] {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('SELECT seq, type, request_id, data FROM events ORDER BY seq').all() as Array<{
      seq: number;
      type: string;
      request_id: string | null;
      data: string;
    }>;
    return rows.map((r) => ({ seq: r.seq, type: r.type, requestId: r.request_id, data: JSON.parse(r.data) }));
  } finally {
    db.close();
  }
}

/** Spawns `node dist/cli/index.js serve --config …` and connects an SDK client over stdio. */
export async function startWarden(options: HarnessOptions): Promise<WardenHarness> {
  const files = writeConfig(options);
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [WARDEN_CLI, 'serve', '--config', files.configPath],
    env: { ...(process.env as Record<string, string>), ...options.env },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const client = new Client({ name: 'e2e-agent', version: '1.2.3' });
  await client.connect(transport);
  const events = () => readEvents(files.dbPath);
  return {
    client,
    transport,
    ...files,
    stderr: () => stderr,
    events,
    callEvents(exposedName) {
      return waitFor(
        () => {
          const all = events();
          const first = [...all]
            .reverse()
            .find(
              (e) =>
                (e.type === 'call.intent' || e.type === 'call.rejected') &&
                e.data.exposedName === exposedName,
            );
          if (!first) return undefined;
          const mine = all.filter((e) => e.requestId === first.requestId);
          return mine.some((e) => TERMINAL_EVENTS.has(e.type)) ? mine : undefined;
        },
        5_000,
        `a finished call to ${exposedName} in the audit log`,
      );
    },
    async close() {
      await client.close();
    },
  };
}

/** Polls until `check` returns a truthy value or the time runs out. */
export async function waitFor<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function textOf(result: unknown): string {
  const content = (result as { content?: Array<{ type: string; text?: string }> }).content ?? [];
  return content.map((c) => (c.type === 'text' ? c.text : `[${c.type}]`)).join('\n');
}
