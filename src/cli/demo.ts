// `warden demo`: Warden in front of the real filesystem MCP server in a temp folder, with the review service
// in-process. A scripted agent reads (allowed), writes twice (a scripted reviewer approves one and rejects the
// other through the reviewers' HTTP API) and reads a secrets file (denied); then the audit log, verified.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { hashToken } from '../approvals/identity.js';
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

/** The demo reviewer's API token; only its hash goes in the config, as an operator would do. */
const REVIEWER_TOKEN = randomBytes(24).toString('base64url');

interface PendingRequest {
  id: string;
  exposedName: string;
  risk: string;
  reason: string;
  rules: string[];
  arguments: unknown;
  argsHash: string;
}

/** Plays the reviewer: waits for the request to show up in the reviewers' API and decides it. */
async function decideAsReviewer(
  reviewUrl: string,
  decision: 'approve' | 'reject',
  comment: string,
): Promise<PendingRequest> {
  const headers = { authorization: `Bearer ${REVIEWER_TOKEN}`, 'content-type': 'application/json' };
  const deadline = Date.now() + 15_000;
  for (;;) {
    const listing = (await (await fetch(`${reviewUrl}/api/requests?status=pending`, { headers })).json()) as {
      requests: PendingRequest[];
    };
    const request = listing.requests[0];
    if (request) {
      say(`  Dana (reviewer) sees request ${request.id}: ${request.exposedName}, risk ${request.risk}`);
      say(`    rule ${request.rules.join(', ')}: ${request.reason}`);
      say(`    arguments ${JSON.stringify(request.arguments).slice(0, 160)}`);
      const response = await fetch(`${reviewUrl}/api/requests/${request.id}/decision`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ decision, comment }),
      });
      say(`  Dana decides: ${decision}${comment ? ` ("${comment}")` : ''} → HTTP ${response.status}`);
      return request;
    }
    if (Date.now() > deadline) throw new Error('the approval request never reached the reviewers');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function runDemo(options: DemoOptions): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'warden-demo-'));
  const workspace = path.join(dir, 'workspace');
  mkdirSync(workspace);
  writeFileSync(path.join(workspace, 'README.md'), '# Quarterly plan\nShip the approval gateway.\n');
  writeFileSync(path.join(workspace, '.env'), 'DATABASE_PASSWORD=not-for-agents\n');

  const policies = packagePoliciesDir();
  const configPath = path.join(dir, 'warden.yaml');
  const database = path.join(dir, 'warden.db');
  const server = filesystemServer();
  writeFileSync(
    configPath,
    stringify({
      principal: { id: 'demo@example.com', name: 'Demo User', email: 'demo@example.com' },
      database,
      policies: [path.join(policies, 'default.yaml'), path.join(policies, 'filesystem.yaml')],
      servers: { fs: { command: server.command, args: [...server.args, workspace] } },
      reviewers: { dana: { name: 'Dana', email: 'dana@example.com', tokenHash: hashToken(REVIEWER_TOKEN) } },
      groups: { approvers: ['dana'] },
      approvals: { defaultReviewers: ['group:approvers'], heartbeat: '1s', poll: '100ms' },
      review: { inProcess: true, host: '127.0.0.1', port: 0 },
    }),
  );

  say('Warden demo');
  say(`  config:    ${configPath}`);
  say(`  workspace: ${workspace} (served by @modelcontextprotocol/server-filesystem)`);
  say("  reviewer:  Dana, deciding through the reviewers' HTTP API of the in-process review service");
  say();

  const cli = fileURLToPath(new URL('./index.js', import.meta.url));
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [cli, 'serve', '--config', configPath, '--log-level', 'info'],
    stderr: 'pipe',
  });
  let serveLog = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    serveLog += chunk.toString('utf8');
  });
  const agent = new Client({ name: 'demo-agent', version: '1.0.0' });
  await agent.connect(transport);
  let approvedId = '';
  try {
    const { tools } = await agent.listTools();
    say(
      `The agent sees ${tools.length} tools through Warden, e.g. ${tools
        .slice(0, 4)
        .map((t) => t.name)
        .join(', ')}, …`,
    );
    const reviewUrl = serveLog.match(/review service running in-process at (\S+)/)?.[1];
    if (!reviewUrl) throw new Error(`the in-process review service did not start:\n${serveLog}`);
    say();

    const call = async (
      what: string,
      name: string,
      args: Record<string, unknown>,
      reviewer?: () => Promise<unknown>,
    ) => {
      say(`• The agent ${what}: ${name}`);
      const pending = agent.callTool({ name, arguments: args }, CallToolResultSchema, {
        onprogress: () => undefined,
        resetTimeoutOnProgress: true,
      });
      await reviewer?.();
      const result = await pending;
      say(`  ${result.isError ? 'BLOCKED' : 'ran'}: ${textOf(result).replace(/\s+/g, ' ').slice(0, 320)}`);
      say();
    };
    await call('reads the README (harmless)', 'fs__read_text_file', {
      path: path.join(workspace, 'README.md'),
    });
    await call(
      'rewrites the README (needs a human)',
      'fs__write_file',
      { path: path.join(workspace, 'README.md'), content: '# Quarterly plan\nShip it on Friday.\n' },
      async () => {
        approvedId = (await decideAsReviewer(reviewUrl, 'approve', 'looks right')).id;
      },
    );
    await call(
      'overwrites the plan with nonsense',
      'fs__write_file',
      { path: path.join(workspace, 'README.md'), content: 'lorem ipsum' },
      () => decideAsReviewer(reviewUrl, 'reject', 'that would throw the plan away'),
    );
    await call('reads the .env secrets file', 'fs__read_text_file', { path: path.join(workspace, '.env') });
  } finally {
    await agent.close();
  }

  const store = openAuditStore(database, { readonly: true });
  try {
    say('The audit log (warden audit list):');
    say(formatRequestTable(store.listRequests({})));
    say();
    const story = store.getRequest(approvedId);
    if (story) {
      say(`The approved request's story (warden audit show ${approvedId}):`);
      for (const event of story.events) say(`  #${event.seq} ${event.ts} ${event.type}`);
      say();
    }
    const verdict = store.verify();
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
