// The shipped examples stay valid: examples/warden.yaml loads (its optional GitHub block too, once uncommented), and
// examples/claude_desktop_config.json is the snippet `warden init` prints.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildInitFiles } from '../../src/config/init.js';
import { loadConfigFile, parseConfig } from '../../src/config/load.js';

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));
const WARDEN_YAML = path.join(EXAMPLES, 'warden.yaml');

describe('examples', () => {
  it('warden.yaml loads, with the shipped policies and the filesystem server', () => {
    const { config } = loadConfigFile(WARDEN_YAML, {});
    expect(config.principal).toEqual({
      id: 'alice@example.com',
      name: 'Alice Example',
      email: 'alice@example.com',
    });
    expect(config.policies).toEqual([
      path.resolve(EXAMPLES, '../policies/default.yaml'),
      path.resolve(EXAMPLES, '../policies/filesystem.yaml'),
    ]);
    expect(config.servers).toEqual({
      fs: {
        command: 'npx',
        args: ['-y', '@modelcontextprotocol/server-filesystem', '.'],
        cwd: path.resolve(EXAMPLES),
        env: { NODE_ENV: 'production' },
      },
    });
  });

  it("warden.yaml's optional GitHub server is valid once uncommented", () => {
    const text = readFileSync(WARDEN_YAML, 'utf8');
    const uncommented = text.replace(/^ {2}# (github:| {2}url:| {2}headers:| {4}Authorization:)/gm, '  $1');
    expect(uncommented).not.toBe(text);
    const config = parseConfig(
      uncommented,
      { GITHUB_TOKEN: 'ghp_x' },
      { source: WARDEN_YAML, baseDir: EXAMPLES },
    );
    expect(config.servers.github).toEqual({
      url: 'https://api.githubcopilot.com/mcp/',
      headers: { Authorization: 'Bearer ghp_x' },
    });
  });

  it('claude_desktop_config.json has the shape of the snippet warden init prints', () => {
    const example = JSON.parse(
      readFileSync(path.join(EXAMPLES, 'claude_desktop_config.json'), 'utf8'),
    ) as unknown;
    const { clientSnippet } = buildInitFiles({
      clientConfig: { mcpServers: {} },
      sourcePath: 'claude_desktop_config.json',
      client: 'claude-desktop',
      principal: 'alice',
      configPath: '/ABSOLUTE/PATH/TO/warden.yaml',
    });
    expect(example).toEqual(clientSnippet);
  });
});
