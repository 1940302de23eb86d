// `warden init` in-process: real files in a temp folder, output captured, the real home directory never touched.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { registerInitCommand } from '../../src/cli/init.js';
import { loadConfigFile } from '../../src/config/load.js';
import { loadPolicyFiles } from '../../src/policy/index.js';

const CLAUDE_DESKTOP_CONFIG = JSON.stringify(
  {
    mcpServers: {
      filesystem: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', '/tmp'] },
      github: {
        command: 'npx',
        args: ['-y', 'gh-mcp'],
        env: { GITHUB_TOKEN: 'ghp_not_a_real_token_1234567890' },
      },
      old: { type: 'sse', url: 'https://example.com/sse' },
    },
  },
  null,
  2,
);

let dir: string;
let savedExitCode: typeof process.exitCode;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'warden-init-'));
  savedExitCode = process.exitCode;
  process.exitCode = undefined;
});

afterEach(() => {
  process.exitCode = savedExitCode;
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `warden init …` in-process with a fake home and working folder inside the temp dir. */
async function runInit(
  args: string[],
): Promise<{ stdout: string; stderr: string; exitCode: typeof process.exitCode }> {
  let stdout = '';
  let stderr = '';
  const program = new Command('warden').exitOverride();
  registerInitCommand(program, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    cwd: path.join(dir, 'project'),
    homeDir: path.join(dir, 'home'),
    platform: 'linux',
    principal: 'tester@box',
  });
  await program.parseAsync(['init', ...args], { from: 'user' });
  const exitCode = process.exitCode;
  process.exitCode = undefined;
  return { stdout, stderr, exitCode };
}

function writeClientConfig(text = CLAUDE_DESKTOP_CONFIG): string {
  const file = path.join(dir, 'claude_desktop_config.json');
  writeFileSync(file, text);
  return file;
}

describe('warden init', () => {
  it('writes warden.yaml, prints the snippet and where to paste it, and leaves the client config alone', async () => {
    const source = writeClientConfig();
    const output = path.join(dir, 'out', 'warden.yaml');
    const result = await runInit(['--from', source, '--output', output, '--principal', 'alice']);

    expect(result.exitCode).toBeUndefined();
    expect(result.stderr).toBe('');
    expect(readFileSync(source, 'utf8')).toBe(CLAUDE_DESKTOP_CONFIG);
    expect(result.stdout).toContain(`Wrote ${output} with 2 servers: filesystem, github.`);
    expect(result.stdout).toContain(
      `To route Claude Desktop through Warden, paste this into ${source} in place of the servers it lists now`,
    );
    expect(result.stdout).toContain('warden init never edits your client config itself.');
    expect(result.stdout).toContain('Skipped "old": it uses SSE');
    expect(result.stdout).toContain(
      'Secrets were kept out of warden.yaml, which reads them from the environment: GITHUB_TOKEN.',
    );

    const snippetText = /\n(\{\n[\s\S]*?\n\})\n/.exec(result.stdout)?.[1];
    expect(JSON.parse(snippetText ?? 'null')).toEqual({
      mcpServers: {
        warden: {
          command: 'npx',
          args: ['-y', 'mcp-warden', 'serve', '--config', output],
          env: { GITHUB_TOKEN: 'ghp_not_a_real_token_1234567890' },
        },
      },
    });

    const written = readFileSync(output, 'utf8');
    expect(written).not.toContain('ghp_not_a_real_token');
    const { config } = loadConfigFile(output, { GITHUB_TOKEN: 'ghp_not_a_real_token_1234567890' });
    expect(config.principal).toEqual({ id: 'alice' });
    expect(Object.keys(config.servers)).toEqual(['filesystem', 'github']);
    expect(config.servers.github).toMatchObject({ env: { GITHUB_TOKEN: 'ghp_not_a_real_token_1234567890' } });
    // Its own copies of the shipped policies, beside it: the package folder may be npx's cache.
    expect(config.policies).toEqual([
      path.join(dir, 'out', 'policies', 'default.yaml'),
      path.join(dir, 'out', 'policies', 'filesystem.yaml'),
    ]);
    expect(readdirSync(path.join(dir, 'out', 'policies')).sort()).toEqual([
      'cloud-iam.yaml',
      'default.yaml',
      'filesystem.yaml',
      'github.yaml',
      'shell.yaml',
      'sql.yaml',
    ]);
    expect(loadPolicyFiles(config.policies).ruleCount).toBeGreaterThan(0);
  });

  it('keeps policies the operator already has beside the config', async () => {
    const output = path.join(dir, 'out', 'warden.yaml');
    mkdirSync(path.join(dir, 'out', 'policies'), { recursive: true });
    writeFileSync(path.join(dir, 'out', 'policies', 'default.yaml'), 'rules: []\n# mine\n');
    const result = await runInit(['--from', writeClientConfig(), '--output', output]);
    expect(readFileSync(path.join(dir, 'out', 'policies', 'default.yaml'), 'utf8')).toBe(
      'rules: []\n# mine\n',
    );
    expect(result.stdout).toContain(
      `Kept your own ${path.join(dir, 'out', 'policies', 'default.yaml')} (not overwritten).`,
    );
  });

  it('refuses to overwrite an existing warden.yaml without --force', async () => {
    const source = writeClientConfig();
    const output = path.join(dir, 'warden.yaml');
    writeFileSync(output, '# mine\n');

    const refused = await runInit(['--from', source, '--output', output]);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toBe(
      `warden: ${output} already exists; pass --force to overwrite it, or --output to write elsewhere\n`,
    );
    expect(refused.stdout).toBe('');
    expect(readFileSync(output, 'utf8')).toBe('# mine\n');

    const forced = await runInit(['--from', source, '--output', output, '--force']);
    expect(forced.exitCode).toBeUndefined();
    expect(readFileSync(output, 'utf8')).toContain('principal: tester@box');
  });

  it('--print prints warden.yaml and the snippet, and writes nothing', async () => {
    const source = writeClientConfig();
    const output = path.join(dir, 'warden.yaml');
    const result = await runInit(['--from', source, '--output', output, '--print']);

    expect(result.exitCode).toBeUndefined();
    expect(existsSync(output)).toBe(false);
    expect(result.stdout).toContain(`# warden.yaml (for ${output})\n# Warden configuration, written by`);
    expect(result.stdout).toContain('GITHUB_TOKEN: ${GITHUB_TOKEN}');
    expect(result.stdout).toContain(`# Client config snippet (for ${source})\n{\n  "mcpServers": {`);
    expect(result.stderr).toContain('warden: note: Skipped "old": it uses SSE');
  });

  it('finds the client config in the usual places when --from is not given', async () => {
    mkdirSync(path.join(dir, 'project'), { recursive: true });
    writeFileSync(
      path.join(dir, 'project', '.mcp.json'),
      JSON.stringify({ mcpServers: { api: { type: 'http', url: 'https://api.example.com/mcp' } } }),
    );
    const output = path.join(dir, 'warden.yaml');
    const result = await runInit(['--output', output]);

    expect(result.exitCode).toBeUndefined();
    expect(result.stdout).toContain(`paste this into ${path.join(dir, 'project', '.mcp.json')}`);
    expect(result.stdout).toContain('then restart Claude Code.');
    expect(loadConfigFile(output, {}).config.servers).toEqual({
      api: { url: 'https://api.example.com/mcp' },
    });
  });

  it("prefers the project's config to the user's, and names Claude Code servers kept in ~/.claude.json", async () => {
    mkdirSync(path.join(dir, 'project'), { recursive: true });
    mkdirSync(path.join(dir, 'home', '.cursor'), { recursive: true });
    writeFileSync(
      path.join(dir, 'home', '.cursor', 'mcp.json'),
      JSON.stringify({ mcpServers: { cur: { command: 'x' } } }),
    );
    writeFileSync(
      path.join(dir, 'project', '.mcp.json'),
      JSON.stringify({ mcpServers: { proj: { command: 'y' } } }),
    );
    writeFileSync(
      path.join(dir, 'home', '.claude.json'),
      JSON.stringify({
        mcpServers: { mine: { command: 'z' } },
        projects: { [path.join(dir, 'project')]: { mcpServers: { here: { command: 'w' } } } },
      }),
    );
    const result = await runInit(['--output', path.join(dir, 'warden.yaml')]);
    expect(result.stdout).toContain(`paste this into ${path.join(dir, 'project', '.mcp.json')}`);
    expect(result.stdout).toContain(
      `- ${path.join(dir, 'home', '.claude.json')} also lists servers Claude Code uses here (mine, here); they do not go through Warden. To route them too, copy their entries into the servers of this warden.yaml and remove them from Claude Code (claude mcp remove NAME), rather than running warden init on that file as well: a second "warden" entry would shadow this one.`,
    );
  });

  it('says where it looked when no client config exists', async () => {
    const result = await runInit(['--client', 'cursor', '--output', path.join(dir, 'warden.yaml')]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe(
      `warden: no MCP client config found (looked in ${path.join(dir, 'project', '.cursor', 'mcp.json')}, ${path.join(dir, 'home', '.cursor', 'mcp.json')}); pass --from FILE\n`,
    );
  });

  it('reports a client config that is not JSON at its line and column', async () => {
    const source = writeClientConfig('{\n  "mcpServers": {\n    "fs": { "command": "npx", }\n  }\n}\n');
    const result = await runInit(['--from', source, '--output', path.join(dir, 'warden.yaml')]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(`^warden: ${source.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:31: not valid JSON: `),
    );
  });

  it('reads a client config saved with a byte-order mark', async () => {
    const source = writeClientConfig('\ufeff{ "mcpServers": { "fs": { "command": "npx" } } }');
    const result = await runInit(['--from', source, '--output', path.join(dir, 'warden.yaml')]);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBeUndefined();
    expect(result.stdout).toMatch(/with 1 server: fs\./);
  });

  it("refuses to write over the client's own config", async () => {
    const source = writeClientConfig();
    const result = await runInit(['--from', source, '--output', source, '--force']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe(
      `warden: refusing to write warden.yaml over the client config ${source}; pick another --output\n`,
    );
    expect(readFileSync(source, 'utf8')).toBe(CLAUDE_DESKTOP_CONFIG);
  });
});
