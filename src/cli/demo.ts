// `warden demo`: Warden in front of the real filesystem MCP server in a temp folder, a scripted agent making a
// harmless read, a write that needs approval, and a read of a secrets file; then the audit log, verified.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { openAuditStore } from '../audit/index.js';
import { formatRequestTable } from './audit.js';
import { packagePoliciesDir } from '../config/init.js';

interface DemoOptions {
  keep?: boolean;
}

/** The filesystem server from node_modules when installed, else through npx. */
function filesystemServer(): { command: string; args: string[] } {
  try {
    const require = createRequire(import.meta.url);
    const pkg = require.resolve('@modelcontextprotocol/server-filesystem/package.json');
    return { command: process.execPath, args: [path.join(path.dirname(pkg), 'dist/index.js')] };
  } catch {
    return { command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem'] };
  }
}

function textOf(result: unknown): string {
  const content = (result as { content?: Array<{ type: string; text?: string }> }).content ?? [];
  return content.map((c) => (c.type === 'text' ? (c.text ?? '') : `[${c.type}]`)).join(' ');
}

const say = (line = '') => process.stdout.write(`${line}\n`);

export async function runDemo(options: DemoOptions): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'warden-demo-'));
  const workspace = path.join(dir, 'workspace');
  mkdirSync(workspace);
  writeFileSync(path.join(workspace, 'README.md'), '# Quarterly plan\nShip the approval gateway.\n');
  writeFileSync(path.join(workspace, '.env'), 'DATABASE_PASSWORD=not-for-agents\n');

  const policies = packagePoliciesDir();
  const configPath = path.join(dir, 'warden.yaml');
  const server = filesystemServer();
  writeFileSync(
    configPath,
    stringify({
      principal: { id: 'demo@example.com', name: 'Demo User' },
      database: path.join(dir, 'warden.db'),
      policies: [path.join(policies, 'default.yaml'), path.join(policies, 'filesystem.yaml')],
      servers: { fs: { command: server.command, args: [...server.args, workspace] } },
    }),
  );

  say('Warden demo');
  say(`  config:    ${configPath}`);
  say(`  workspace: ${workspace} (served by @modelcontextprotocol/server-filesystem)`);
  say();

  const cli = fileURLToPath(new URL('./index.js', import.meta.url));
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [cli, 'serve', '--config', configPath, '--log-level', 'warn'],
    stderr: 'inherit',
  });
  const agent = new Client({ name: 'demo-agent', version: '1.0.0' });
  await agent.connect(transport);
  try {
    const { tools } = await agent.listTools();
    say(
      `The agent sees ${tools.length} tools through Warden, e.g. ${tools
        .slice(0, 4)
        .map((t) => t.name)
        .join(', ')}, …`,
    );
    say();
    const steps: Array<[string, string, Record<string, unknown>]> = [
      ['reads the README (harmless)', 'fs__read_text_file', { path: path.join(workspace, 'README.md') }],
      [
        'overwrites the README (a change)',
        'fs__write_file',
        { path: path.join(workspace, 'README.md'), content: 'gone' },
      ],
      ['reads the .env secrets file', 'fs__read_text_file', { path: path.join(workspace, '.env') }],
    ];
    for (const [what, name, args] of steps) {
      const result = await agent.callTool({ name, arguments: args });
      const verdict = result.isError ? 'BLOCKED' : 'ran';
      say(`• The agent ${what}: ${name}`);
      say(`  ${verdict}: ${textOf(result).replace(/\s+/g, ' ').slice(0, 320)}`);
      say();
    }
  } finally {
    await agent.close();
  }

  const store = openAuditStore(path.join(dir, 'warden.db'), { readonly: true });
  try {
    say('The audit log (warden audit list):');
    say(formatRequestTable(store.listRequests({})));
    const verdict = store.verify();
    say();
    say(
      verdict.ok
        ? `Hash chain intact over ${verdict.count} events (warden audit verify).`
        : `Hash chain BROKEN at event ${verdict.firstBadSeq}: ${verdict.problem}`,
    );
  } finally {
    store.close();
  }
  say();
  if (options.keep) {
    say(`Kept ${dir}. Try: warden audit list --config ${configPath}`);
  } else {
    rmSync(dir, { recursive: true, force: true });
    say('Next: `warden init` turns your Claude Desktop / Cursor / Claude Code config into a warden.yaml.');
  }
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'run Warden in front of the filesystem MCP server with a scripted agent, then show the audit log',
    )
    .option('--keep', 'keep the temp folder (config, database) to explore afterwards')
    .action(async (opts: DemoOptions) => {
      await runDemo(opts);
    });
}
