// parseConfig and loadConfigFile: valid configs, and every error saying file:line:column, the key path and what is
// expected.
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfigFile, parseConfig } from '../../src/config/load.js';
import { WardenError } from '../../src/errors.js';

const OPTIONS = { source: 'warden.yaml', baseDir: '/srv/warden' };

/** Config text from lines, so the line numbers in expectations can be read off the test. */
const yaml = (...lines: string[]) => `${lines.join('\n')}\n`;

/** The error parseConfig throws for `text` (fails the test when it does not throw). */
function parseError(text: string, env: NodeJS.ProcessEnv = {}): WardenError {
  try {
    parseConfig(text, env, OPTIONS);
  } catch (error) {
    if (error instanceof WardenError) return error;
    throw error;
  }
  throw new Error('expected parseConfig to throw');
}

describe('parseConfig', () => {
  it('reads a config with a stdio and a Streamable HTTP server, filling in defaults', () => {
    const config = parseConfig(
      yaml(
        'principal: alice@example.com',
        'policies: [policies/default.yaml]',
        'servers:',
        '  fs:',
        '    command: npx',
        '    args: [-y, "@modelcontextprotocol/server-filesystem", /tmp]',
        '    env: { NODE_ENV: production, PORT: 8080 }',
        '  github:',
        '    url: https://api.githubcopilot.com/mcp/',
        '    headers: { Authorization: "Bearer ${GITHUB_TOKEN}" }',
      ),
      { GITHUB_TOKEN: 'ghp_secret' },
      OPTIONS,
    );
    expect(config.principal).toEqual({ id: 'alice@example.com' });
    expect(config.database).toBe('/srv/warden/warden.db');
    expect(config.policies).toEqual(['/srv/warden/policies/default.yaml']);
    expect(config.servers).toEqual({
      fs: {
        command: 'npx',
        args: ['-y', '@modelcontextprotocol/server-filesystem', '/tmp'],
        env: { NODE_ENV: 'production', PORT: '8080' },
      },
      github: { url: 'https://api.githubcopilot.com/mcp/', headers: { Authorization: 'Bearer ghp_secret' } },
    });
    expect(config.gateway.callTimeoutMs).toBe(300_000);
    expect(config.gateway.restart.maxAttempts).toBe(5);
    expect(config.audit.synchronous).toBe('normal');
    expect(config.logLevel).toBe('info');
  });

  it('accepts the long form of principal', () => {
    const config = parseConfig(
      yaml(
        'principal: { id: alice, name: Alice, email: alice@example.com }',
        'policies: [p.yaml]',
        'servers: {}',
      ),
      {},
      OPTIONS,
    );
    expect(config.principal).toEqual({ id: 'alice', name: 'Alice', email: 'alice@example.com' });
  });

  it('resolves database, policies and stdio cwd against the config folder, leaving absolute paths alone', () => {
    const config = parseConfig(
      yaml(
        'principal: alice',
        'database: data/audit.db',
        'policies: [../shared/default.yaml, /etc/warden/extra.yaml]',
        'servers:',
        '  fs: { command: npx, cwd: workspace }',
        '  abs: { command: npx, cwd: /opt/here }',
      ),
      {},
      OPTIONS,
    );
    expect(config.database).toBe('/srv/warden/data/audit.db');
    expect(config.policies).toEqual(['/srv/shared/default.yaml', '/etc/warden/extra.yaml']);
    expect(config.servers.fs).toMatchObject({ cwd: '/srv/warden/workspace' });
    expect(config.servers.abs).toMatchObject({ cwd: '/opt/here' });
  });

  it('reports an unknown key at the key, with the known key it most likely means', () => {
    const error = parseError(
      yaml('principal: alice', 'policies: [p.yaml]', 'servers:', '  fs:', '    args: [x]', '    comand: npx'),
    );
    expect(error.code).toBe('CONFIG_INVALID');
    // The missing "command" is the same typo, so it is not reported a second time.
    expect(error.message).toBe('warden.yaml:6:5: servers.fs: unknown key "comand" (did you mean "command"?)');
    expect(error.location).toEqual({ file: 'warden.yaml', line: 6, column: 5 });
  });

  it('lists the known keys when no key is close to an unknown one', () => {
    const error = parseError(yaml('principal: alice', 'policies: [p.yaml]', 'servers: {}', 'colour: blue'));
    expect(error.message).toBe(
      'warden.yaml:4:1: unknown key "colour" (expected one of: principal, database, policies, servers, gateway, audit, logLevel, reviewers, groups, approvals, review, teams)',
    );
  });

  it('reports a wrong type at the value, saying what is expected', () => {
    const error = parseError(yaml('principal: alice', 'policies: [p.yaml]', 'database: 42', 'servers: {}'));
    expect(error.message).toBe('warden.yaml:3:11: database: expected a string (a path to the SQLite file)');
  });

  it('reports a missing required key at the nearest parent', () => {
    const error = parseError(yaml('policies: [p.yaml]', 'servers: {}'));
    expect(error.message).toBe(
      'warden.yaml:1:1: principal: missing: expected a string id or a mapping { id, name?, email? } (the person the agent acts for)',
    );
  });

  it('says a server needs command or url when it has neither', () => {
    const error = parseError(
      yaml(
        'principal: alice',
        'policies: [p.yaml]',
        'servers:',
        '  fs:',
        '    command: npx',
        '  remote:',
        '    timeout: 5',
      ),
    );
    expect(error.message).toBe(
      'warden.yaml:7:5: servers.remote: needs either "command" (a stdio server) or "url" (a Streamable HTTP server)',
    );
  });

  it("reports the stdio branch's own problem for a server with command, not a union of alternatives", () => {
    const error = parseError(
      yaml(
        'principal: alice',
        'policies: [p.yaml]',
        'servers:',
        '  fs:',
        '    command: npx',
        '    args: "-y"',
      ),
    );
    expect(error.message).toBe(
      "warden.yaml:6:11: servers.fs.args: expected a list of strings (the program's arguments)",
    );
  });

  it("reports the HTTP branch's own problem for a server with url", () => {
    const error = parseError(
      yaml(
        'principal: alice',
        'policies: [p.yaml]',
        'servers:',
        '  remote:',
        '    url: ftp://example.com/mcp',
      ),
    );
    expect(error.message).toBe(
      'warden.yaml:5:10: servers.remote.url: expected an absolute http(s) URL, e.g. "https://example.com/mcp"',
    );
  });

  it('rejects a server name with "__", which would make two tools claim one exposed name', () => {
    const error = parseError(
      yaml('principal: alice', 'policies: [p.yaml]', 'servers:', '  a__b: { command: npx }'),
    );
    expect(error.message).toBe(
      'warden.yaml:4:3: servers.a__b: not a valid server name: use letters, digits, _ and - (at most 48 characters), without "__" (Warden\'s separator)',
    );
  });

  it('rejects a server with both command and url, and one that uses SSE', () => {
    const error = parseError(
      yaml(
        'principal: alice',
        'policies: [p.yaml]',
        'servers:',
        '  both: { command: npx, url: "https://example.com/mcp" }',
        '  old: { type: sse, url: "https://example.com/sse" }',
      ),
    );
    expect(error.message.split('\n')).toEqual([
      'warden.yaml:4:9: servers.both: has both "command" and "url"; a server is either stdio (command) or Streamable HTTP (url), not both',
      'warden.yaml:5:8: servers.old: type "sse" is not supported: Warden speaks Streamable HTTP; use the server\'s Streamable HTTP endpoint (usually ending in /mcp) and leave "type" out',
    ]);
  });

  it('reports every problem, one per line, in file order', () => {
    const error = parseError(
      yaml(
        'principal: ""',
        'policies: []',
        'servers:',
        '  "bad name": { command: npx }',
        '  fs: { command: npx, disabled: "no" }',
        'gateway: { callTimeoutMs: -1, restart: { maxAttemps: 3 } }',
        'logLevel: loud',
      ),
    );
    expect(error.message.split('\n')).toEqual([
      'warden.yaml:1:12: principal: must not be empty; expected a string id or a mapping { id, name?, email? } (the person the agent acts for)',
      'warden.yaml:2:11: policies: name at least one policy file, e.g. [policies/default.yaml]',
      'warden.yaml:4:3: servers["bad name"]: not a valid server name: use letters, digits, _ and - (at most 48 characters), without "__" (Warden\'s separator)',
      'warden.yaml:5:33: servers.fs.disabled: expected true or false',
      'warden.yaml:6:27: gateway.callTimeoutMs: must be greater than 0',
      'warden.yaml:6:42: gateway.restart: unknown key "maxAttemps" (did you mean "maxAttempts"?)',
      'warden.yaml:7:11: logLevel: expected one of "debug", "info", "warn", "error", "silent"',
    ]);
  });

  it('names the key path, the line and the variable when an environment variable is missing', () => {
    const error = parseError(
      yaml(
        'principal: alice',
        'policies: [p.yaml]',
        'servers:',
        '  github:',
        '    url: https://api.githubcopilot.com/mcp/',
        '    headers:',
        '      Authorization: Bearer ${GITHUB_TOKEN}',
      ),
    );
    expect(error.code).toBe('CONFIG_ENV_MISSING');
    expect(error.message).toBe(
      'warden.yaml:7:22: servers.github.headers.Authorization: environment variable GITHUB_TOKEN is not set (used as ${GITHUB_TOKEN}); set it, or write ${GITHUB_TOKEN:-default}',
    );
  });

  it('lets commands that start no server read a config whose server secrets are not set here', () => {
    const text = yaml(
      'principal: alice',
      'database: ${DB:-audit.db}',
      'policies: [p.yaml]',
      'servers:',
      '  github:',
      '    url: https://api.githubcopilot.com/mcp/',
      '    headers: { Authorization: "Bearer ${GITHUB_TOKEN}" }',
      '  internal: { url: "${INTERNAL_URL}" }',
      '  fs: { command: npx }',
    );
    const config = parseConfig(text, {}, { ...OPTIONS, serversNeeded: false });
    expect(config.database).toBe('/srv/warden/audit.db');
    expect(config.servers.github).toMatchObject({ disabled: true });
    expect(config.servers.internal).toBeUndefined();
    expect(config.servers.fs).toMatchObject({ command: 'npx' });
    // Anything else missing still fails, and so does the same file for `warden serve`.
    expect(() =>
      parseConfig(text.replace('${DB:-audit.db}', '${DB}'), {}, { ...OPTIONS, serversNeeded: false }),
    ).toThrow(/database: environment variable DB is not set/);
    expect(parseError(text).code).toBe('CONFIG_ENV_MISSING');
  });

  it('does not need the secrets of a disabled server, even to serve', () => {
    const config = parseConfig(
      yaml(
        'principal: alice',
        'policies: [p.yaml]',
        'servers:',
        '  github:',
        '    url: https://api.githubcopilot.com/mcp/',
        '    headers: { Authorization: "Bearer ${GITHUB_TOKEN}" }',
        '    disabled: true',
        '  fs: { command: npx }',
      ),
      {},
      OPTIONS,
    );
    expect(config.servers.github).toMatchObject({ disabled: true });
    expect(config.servers.fs).toMatchObject({ command: 'npx' });
  });

  it('uses ${VAR:-default} when the variable is unset or empty, and $${ for a literal ${', () => {
    const config = parseConfig(
      yaml(
        'principal: ${WHO:-nobody}',
        'database: ${DB:-warden.db}',
        'policies: [p.yaml]',
        'servers:',
        '  fs:',
        "    command: '${CMD}'",
        "    args: ['$${HOME}/x', 'a$$${HOME}', '${ROOT:-/tmp}']",
        '    env:',
        '      ${KEY}: value',
      ),
      { HOME: '/home/alice', CMD: 'npx', DB: '' },
      OPTIONS,
    );
    expect(config.principal).toEqual({ id: 'nobody' });
    expect(config.database).toBe('/srv/warden/warden.db');
    // Keys are never interpolated.
    expect(config.servers.fs).toEqual({
      command: 'npx',
      args: ['${HOME}/x', 'a$${HOME}', '/tmp'],
      env: { '${KEY}': 'value' },
    });
  });

  it('rejects a "${" that does not start a reference', () => {
    const error = parseError(yaml('principal: alice', 'policies: ["${not valid}"]', 'servers: {}'));
    expect(error.code).toBe('CONFIG_ENV_MISSING');
    expect(error.message).toBe(
      'warden.yaml:2:12: policies[0]: has a "${" that does not start a reference: write ${NAME} or ${NAME:-default} (NAME: letters, digits and _), or $${ for a literal "${"',
    );
  });

  it('accepts mcpServers as another name for servers, and names it as written in errors', () => {
    const config = parseConfig(
      yaml('principal: alice', 'policies: [p.yaml]', 'mcpServers:', '  fs: { command: npx }'),
      {},
      OPTIONS,
    );
    expect(config.servers).toEqual({ fs: { command: 'npx', args: [] } });

    const error = parseError(
      yaml(
        'principal: alice',
        'policies: [p.yaml]',
        'mcpServers:',
        '  fs:',
        '    command: npx',
        '    timeout: 5',
      ),
    );
    expect(error.message).toBe(
      'warden.yaml:6:5: mcpServers.fs: unknown key "timeout" (expected one of: type, command, args, env, cwd, disabled)',
    );
  });

  it('rejects servers and mcpServers together', () => {
    const error = parseError(yaml('principal: alice', 'policies: [p.yaml]', 'servers: {}', 'mcpServers: {}'));
    expect(error.message).toBe(
      'warden.yaml:4:1: mcpServers: is another name for "servers" (as in Claude Desktop\'s config); keep one of the two',
    );
  });

  it('says so when the file is empty or only comments', () => {
    for (const text of ['', '\n\n', '# nothing yet\n']) {
      const error = parseError(text);
      expect(error.code).toBe('CONFIG_INVALID');
      expect(error.message).toBe(
        'warden.yaml: the file is empty; expected a mapping with principal, policies and servers (`warden init` writes one)',
      );
    }
  });

  it('says so when the top level is not a mapping', () => {
    expect(parseError(yaml('- principal: alice')).message).toBe(
      'warden.yaml:1:1: expected a mapping of settings (principal, database, policies, servers) at the top level, found a list',
    );
    expect(parseError(yaml('just text')).message).toBe(
      'warden.yaml:1:1: expected a mapping of settings (principal, database, policies, servers) at the top level, found a string',
    );
  });

  it('reports YAML syntax errors with their position', () => {
    const error = parseError(yaml('principal: alice', 'principal: bob'));
    expect(error.code).toBe('CONFIG_PARSE');
    expect(error.message).toMatch(/^warden\.yaml:2:1: invalid YAML: Map keys must be unique/);
  });
});

describe('loadConfigFile', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("resolves relative paths against the file's folder and names the file in errors", () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'warden-config-'));
    mkdirSync(path.join(dir, 'conf'));
    const file = path.join(dir, 'conf', 'warden.yaml');
    writeFileSync(
      file,
      yaml('principal: alice', 'policies: [p.yaml]', 'servers: { fs: { command: npx, cwd: work } }'),
    );
    const loaded = loadConfigFile(file, {});
    expect(loaded.path).toBe(file);
    expect(loaded.config.database).toBe(path.join(dir, 'conf', 'warden.db'));
    expect(loaded.config.policies).toEqual([path.join(dir, 'conf', 'p.yaml')]);
    expect(loaded.config.servers.fs).toMatchObject({ cwd: path.join(dir, 'conf', 'work') });

    writeFileSync(file, yaml('principal: alice', 'policies: [p.yaml]', 'servers: {}', 'database: 1'));
    expect(() => loadConfigFile(file, {})).toThrow(`${file}:4:11: database: expected a string`);
  });

  it('says how to get a config when the file is missing', () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'warden-config-'));
    const file = path.join(dir, 'warden.yaml');
    expect(() => loadConfigFile(file, {})).toThrow(
      `cannot read config ${file}: ENOENT; pass --config or set WARDEN_CONFIG (\`warden init\` writes one)`,
    );
  });
});
