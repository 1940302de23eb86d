// buildInitFiles and friends: client configs in, a warden.yaml that parseConfig accepts and a client snippet out.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildInitFiles,
  clientConfigCandidates,
  detectClientKind,
  packagePoliciesDir,
  type BuildInitInput,
} from '../../src/config/init.js';
import { parseConfig } from '../../src/config/load.js';
import { WardenError } from '../../src/errors.js';

const CONFIG_PATH = '/home/alice/warden/warden.yaml';

function build(clientConfig: unknown, extra: Partial<BuildInitInput> = {}) {
  return buildInitFiles({
    clientConfig,
    sourcePath: '/home/alice/client.json',
    client: 'claude-desktop',
    principal: 'alice@laptop',
    configPath: CONFIG_PATH,
    ...extra,
  });
}

/** Loads the generated warden.yaml the way `warden serve` would, with the env the client snippet gives Warden. */
function load(files: ReturnType<typeof build>, env: NodeJS.ProcessEnv = {}) {
  const snippetEnv = files.clientSnippet.mcpServers.warden.env ?? {};
  return parseConfig(
    files.wardenYaml,
    { ...snippetEnv, ...env },
    {
      source: CONFIG_PATH,
      baseDir: path.dirname(CONFIG_PATH),
    },
  );
}

describe('buildInitFiles', () => {
  it('turns a Claude Desktop config into servers that load back unchanged', () => {
    const files = build({
      mcpServers: {
        filesystem: {
          command: 'npx',
          args: ['-y', '@modelcontextprotocol/server-filesystem', '/Users/alice/Desktop'],
        },
        git: {
          command: 'uvx',
          args: ['mcp-server-git'],
          env: { GIT_AUTHOR_NAME: 'Alice' },
          cwd: '/src/repo',
        },
      },
    });
    expect(files.serverNames).toEqual(['filesystem', 'git']);
    const config = load(files);
    expect(config.principal).toEqual({ id: 'alice@laptop' });
    expect(config.database).toBe('/home/alice/warden/warden.db');
    expect(config.policies).toEqual([
      path.join(packagePoliciesDir(), 'default.yaml'),
      path.join(packagePoliciesDir(), 'filesystem.yaml'),
    ]);
    expect(config.servers).toEqual({
      filesystem: {
        command: 'npx',
        args: ['-y', '@modelcontextprotocol/server-filesystem', '/Users/alice/Desktop'],
      },
      git: { command: 'uvx', args: ['mcp-server-git'], env: { GIT_AUTHOR_NAME: 'Alice' }, cwd: '/src/repo' },
    });
    expect(files.clientSnippet).toEqual({
      mcpServers: {
        warden: { command: 'npx', args: ['-y', 'mcp-warden', 'serve', '--config', CONFIG_PATH] },
      },
    });
  });

  it('writes a commented warden.yaml', () => {
    const { wardenYaml } = build({ mcpServers: { fs: { command: 'npx' } } });
    expect(wardenYaml).toMatch(
      /^# Warden configuration, written by `warden init` from \/home\/alice\/client\.json\./,
    );
    expect(wardenYaml).toContain('# The person the agent acts for');
    expect(wardenYaml).toContain('# SQLite file holding the tamper-evident audit log');
    expect(wardenYaml).toContain('# Policy files, in order');
    expect(wardenYaml).toContain('# The MCP servers Warden proxies');
    expect(wardenYaml).toContain('# Optional settings, shown with their defaults:');
  });

  it('keeps secrets out of warden.yaml: ${NAME} there, the value in the snippet env, and a note', () => {
    const files = build({
      mcpServers: {
        github: {
          command: 'npx',
          args: ['-y', '@modelcontextprotocol/server-github'],
          env: { GITHUB_PERSONAL_ACCESS_TOKEN: 'not-obviously-a-token', LOG_LEVEL: 'debug' },
        },
        search: {
          command: 'node',
          args: ['search.js'],
          env: { ENDPOINT_ID: 'ghp_0123456789abcdefghijABCDEFGHIJ' },
        },
        remote: {
          url: 'https://mcp.example.com/mcp',
          headers: { Authorization: 'Bearer s3cr3t-value', 'X-Team': 'blue' },
        },
      },
    });
    expect(files.wardenYaml).not.toContain('not-obviously-a-token');
    expect(files.wardenYaml).not.toContain('ghp_0123456789');
    expect(files.wardenYaml).not.toContain('s3cr3t-value');
    expect(files.wardenYaml).toContain('GITHUB_PERSONAL_ACCESS_TOKEN: ${GITHUB_PERSONAL_ACCESS_TOKEN}');
    expect(files.wardenYaml).toContain('ENDPOINT_ID: ${ENDPOINT_ID}');
    expect(files.wardenYaml).toContain('Authorization: Bearer ${REMOTE_TOKEN}');
    expect(files.wardenYaml).toContain('LOG_LEVEL: debug');
    expect(files.clientSnippet.mcpServers.warden.env).toEqual({
      GITHUB_PERSONAL_ACCESS_TOKEN: 'not-obviously-a-token',
      ENDPOINT_ID: 'ghp_0123456789abcdefghijABCDEFGHIJ',
      REMOTE_TOKEN: 's3cr3t-value',
    });
    expect(files.notes).toContain(
      'Secrets were kept out of warden.yaml, which reads them from the environment: GITHUB_PERSONAL_ACCESS_TOKEN, ENDPOINT_ID, REMOTE_TOKEN. The client snippet sets them for Warden (as your client config did for the servers); if you start Warden another way, set them there.',
    );
    // With the snippet's env, Warden sees exactly what the servers saw before.
    const config = load(files);
    expect(config.servers.github).toMatchObject({
      env: { GITHUB_PERSONAL_ACCESS_TOKEN: 'not-obviously-a-token', LOG_LEVEL: 'debug' },
    });
    expect(config.servers.remote).toEqual({
      url: 'https://mcp.example.com/mcp',
      headers: { Authorization: 'Bearer s3cr3t-value', 'X-Team': 'blue' },
    });
  });

  it('does not repeat the server name in a variable name that already starts with it', () => {
    const files = build({
      mcpServers: {
        context7: {
          url: 'https://mcp.context7.com/mcp',
          headers: { CONTEXT7_API_KEY: 'ctx7sk-0123456789abcdef' },
        },
      },
    });
    expect(files.clientSnippet.mcpServers.warden.env).toEqual({
      CONTEXT7_API_KEY: 'ctx7sk-0123456789abcdef',
    });
  });

  it('gives two different secrets under the same name two variables', () => {
    const files = build({
      mcpServers: {
        a: { command: 'a', env: { API_KEY: 'one' } },
        b: { command: 'b', env: { API_KEY: 'two' } },
        c: { command: 'c', env: { API_KEY: 'one' } },
      },
    });
    expect(files.clientSnippet.mcpServers.warden.env).toEqual({ API_KEY: 'one', B_API_KEY: 'two' });
    const config = load(files);
    expect(config.servers.a).toMatchObject({ env: { API_KEY: 'one' } });
    expect(config.servers.b).toMatchObject({ env: { API_KEY: 'two' } });
    expect(config.servers.c).toMatchObject({ env: { API_KEY: 'one' } });
  });

  it('moves tokens passed as arguments or in a url query out of warden.yaml too', () => {
    const files = build({
      mcpServers: {
        tool: { command: 'tool', args: ['--api-key', 'plain', '--token=xyz', 'serve'] },
        hosted: { url: 'https://server.example.com/mcp?api_key=abc123&profile=work' },
      },
    });
    expect(files.wardenYaml).not.toMatch(/plain|xyz|abc123/);
    const config = load(files);
    expect(config.servers.tool).toMatchObject({ args: ['--api-key', 'plain', '--token=xyz', 'serve'] });
    expect(config.servers.hosted).toMatchObject({
      url: 'https://server.example.com/mcp?api_key=abc123&profile=work',
    });
  });

  it('moves the password of a connection string in an argument or a variable, and keeps the rest readable', () => {
    const files = build({
      mcpServers: {
        pg: {
          command: 'npx',
          args: [
            '-y',
            '@modelcontextprotocol/server-postgres',
            'postgresql://admin:hunter2@db.example.com/prod',
          ],
          env: { DATABASE_URL: 'postgres://u:p4ss@h/db', LOG_URL: 'https://logs.example.com/x' },
        },
      },
    });
    expect(files.wardenYaml).not.toMatch(/hunter2|p4ss/);
    expect(files.wardenYaml).toContain('postgresql://admin:${PG_PASSWORD}@db.example.com/prod');
    expect(files.wardenYaml).toContain('https://logs.example.com/x');
    expect(files.clientSnippet.mcpServers.warden.env).toEqual({
      PG_PASSWORD: 'hunter2',
      PG_PASSWORD_2: 'p4ss',
    });
    const config = load(files);
    expect(config.servers.pg).toMatchObject({
      args: ['-y', '@modelcontextprotocol/server-postgres', 'postgresql://admin:hunter2@db.example.com/prod'],
      env: { DATABASE_URL: 'postgres://u:p4ss@h/db', LOG_URL: 'https://logs.example.com/x' },
    });
  });

  it('moves the password glued to -p of a mysql or mariadb client, and leaves other -p flags alone', () => {
    const files = build({
      mcpServers: {
        db: { command: 'mysql', args: ['-u', 'root', '-pMYSQLPW77', 'shop'] },
        inside: { command: 'docker', args: ['exec', '-i', 'db', '/usr/bin/mariadb', '-pMARIAPW78'] },
        prompt: { command: 'mysqldump', args: ['-p', 'shop'] },
        other: { command: 'sh', args: ['-c', 'true', '-pNOTAPASSWORD'] },
        ssh: { command: 'ssh', args: ['-p2222', 'host', 'mkdir', '-p', '/tmp/x'] },
        docker: {
          command: 'docker',
          args: ['run', '-v', 'mysql-data:/var/lib/mysql', '-p3306:3306', 'mysql:8'],
        },
        win: { command: 'C:\\Program Files\\MySQL\\bin\\mysql.exe', args: ['-pWINPW79'] },
      },
    });
    expect(files.wardenYaml).not.toMatch(/MYSQLPW77|MARIAPW78|WINPW79/);
    expect(files.wardenYaml).toContain('-p${DB_PASSWORD}');
    expect(files.wardenYaml).toContain('-p${INSIDE_PASSWORD}');
    expect(files.clientSnippet.mcpServers.warden.env).toEqual({
      DB_PASSWORD: 'MYSQLPW77',
      INSIDE_PASSWORD: 'MARIAPW78',
      WIN_PASSWORD: 'WINPW79',
    });
    expect(load(files).servers).toMatchObject({
      db: { command: 'mysql', args: ['-u', 'root', '-pMYSQLPW77', 'shop'] },
      inside: { args: ['exec', '-i', 'db', '/usr/bin/mariadb', '-pMARIAPW78'] },
      prompt: { args: ['-p', 'shop'] },
      other: { args: ['-c', 'true', '-pNOTAPASSWORD'] },
      ssh: { args: ['-p2222', 'host', 'mkdir', '-p', '/tmp/x'] },
      docker: { args: ['run', '-v', 'mysql-data:/var/lib/mysql', '-p3306:3306', 'mysql:8'] },
      win: { args: ['-pWINPW79'] },
    });
  });

  it('moves only the password of an ADO or ODBC connection string in a variable', () => {
    const files = build({
      mcpServers: {
        mssql: {
          command: 'npx',
          args: ['-y', 'mssql-mcp'],
          env: {
            CONNECTION_STRING: 'Server=db.example.com;User Id=app;Password=CONNPW44;Database=shop;',
            ODBC: 'Driver={ODBC Driver 18 for SQL Server};Server=tcp:db,1433;UID=app;PWD={CONN;PW45};',
            QUOTED: "Data Source=db; password = 'CONN PW46' ;Encrypt=true",
            PLAIN: 'Server=db;Database=shop;Trusted_Connection=True;',
          },
        },
      },
    });
    expect(files.wardenYaml).not.toMatch(/CONNPW44|CONN;PW45|CONN PW46/);
    expect(files.wardenYaml).toContain(
      'CONNECTION_STRING: Server=db.example.com;User Id=app;Password=${MSSQL_PASSWORD};Database=shop;',
    );
    expect(files.wardenYaml).toContain('PWD={${MSSQL_PASSWORD_2}};');
    expect(files.wardenYaml).toContain('PLAIN: Server=db;Database=shop;Trusted_Connection=True;');
    expect(files.clientSnippet.mcpServers.warden.env).toEqual({
      MSSQL_PASSWORD: 'CONNPW44',
      MSSQL_PASSWORD_2: 'CONN;PW45',
      MSSQL_PASSWORD_3: 'CONN PW46',
    });
    expect(load(files).servers.mssql).toMatchObject({
      env: {
        CONNECTION_STRING: 'Server=db.example.com;User Id=app;Password=CONNPW44;Database=shop;',
        ODBC: 'Driver={ODBC Driver 18 for SQL Server};Server=tcp:db,1433;UID=app;PWD={CONN;PW45};',
        QUOTED: "Data Source=db; password = 'CONN PW46' ;Encrypt=true",
        PLAIN: 'Server=db;Database=shop;Trusted_Connection=True;',
      },
    });
  });

  it('skips SSE servers with a note', () => {
    const files = build({
      mcpServers: { old: { type: 'sse', url: 'https://example.com/sse' }, fs: { command: 'npx' } },
    });
    expect(files.serverNames).toEqual(['fs']);
    expect(files.notes).toContain(
      'Skipped "old": it uses SSE, which Warden does not support. If the server also offers Streamable HTTP (often at /mcp), add it under servers with that url; otherwise keep it in your client config, where it does not go through Warden.',
    );
  });

  it('renames servers whose names Warden does not accept, keeping them unique, with a note', () => {
    const files = build({
      mcpServers: {
        'My Server!': { command: 'a' },
        My_Server: { command: 'b' },
        ['x'.repeat(60)]: { command: 'c' },
        a__b: { command: 'd' },
      },
    });
    expect(files.serverNames).toEqual(['My_Server_2', 'My_Server', 'x'.repeat(48), 'a_b']);
    expect(files.notes).toContain(
      'Server "My Server!" is named "My_Server_2" in warden.yaml (names use letters, digits, _ and -, at most 48, without "__").',
    );
    expect(Object.keys(load(files).servers)).toEqual(['My_Server_2', 'My_Server', 'x'.repeat(48), 'a_b']);
  });

  it('keeps disabled servers disabled and notes the settings it leaves out', () => {
    const files = build({ mcpServers: { git: { command: 'uvx', disabled: true, autoApprove: ['status'] } } });
    expect(load(files).servers.git).toEqual({ command: 'uvx', args: [], disabled: true });
    expect(files.notes).toContain(
      'servers.git: left out "autoApprove" (Claude Desktop settings Warden does not use).',
    );
  });

  it('skips an entry that already starts Warden', () => {
    const files = build({
      mcpServers: { warden: { command: 'npx', args: ['-y', 'mcp-warden', 'serve', '--config', '/x.yaml'] } },
    });
    expect(files.serverNames).toEqual([]);
    expect(files.notes).toContain('Skipped "warden": it starts Warden itself.');
  });

  it('keeps a literal ${ from Claude Desktop literal', () => {
    const files = build({ mcpServers: { echo: { command: 'echo', args: ['${HOME}'] } } });
    expect(load(files, { HOME: '/home/alice' }).servers.echo).toMatchObject({ args: ['${HOME}'] });
  });

  it("reads Cursor's mcp.json: url servers and ${env:NAME}", () => {
    const files = build(
      {
        mcpServers: {
          linear: { url: 'https://mcp.linear.app/mcp' },
          db: { command: 'npx', args: ['-y', 'db-mcp'], env: { DB_URL: '${env:DATABASE_URL}' } },
        },
      },
      { client: 'cursor', sourcePath: '/home/alice/.cursor/mcp.json' },
    );
    expect(files.wardenYaml).toContain('DB_URL: ${DATABASE_URL}');
    expect(load(files, { DATABASE_URL: 'postgres://localhost/x' }).servers).toEqual({
      linear: { url: 'https://mcp.linear.app/mcp' },
      db: { command: 'npx', args: ['-y', 'db-mcp'], env: { DB_URL: 'postgres://localhost/x' } },
    });
  });

  it("reads Claude Code's .mcp.json: typed entries, and ${VAR} references kept as references", () => {
    const files = build(
      {
        mcpServers: {
          api: {
            type: 'http',
            url: '${API_BASE:-https://api.example.com}/mcp',
            headers: { Authorization: 'Bearer ${API_KEY}' },
          },
          local: { type: 'stdio', command: 'node', args: ['server.js'] },
        },
      },
      { client: 'claude-code', sourcePath: '/work/project/.mcp.json' },
    );
    expect(files.clientSnippet.mcpServers.warden.env).toBeUndefined();
    expect(load(files, { API_KEY: 'k' }).servers).toEqual({
      api: { url: 'https://api.example.com/mcp', headers: { Authorization: 'Bearer k' } },
      local: { command: 'node', args: ['server.js'] },
    });
  });

  it("reads ~/.claude.json: top-level servers and the current project's", () => {
    const claudeJson = {
      numStartups: 12,
      mcpServers: { memory: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-memory'] } },
      projects: {
        '/work/app': { mcpServers: { db: { command: 'db-mcp' } }, allowedTools: [] },
        '/work/other': { mcpServers: { other: { command: 'other-mcp' } } },
        '/work/empty': { mcpServers: {} },
      },
    };
    const here = build(claudeJson, {
      client: 'claude-code',
      sourcePath: '/home/alice/.claude.json',
      projectDir: '/work/app',
    });
    expect(here.serverNames).toEqual(['memory', 'db']);
    expect(here.notes).toContain(
      '/home/alice/.claude.json also lists servers for other projects (/work/other); run warden init there to include them.',
    );
    const everywhere = build(claudeJson, { client: 'claude-code', sourcePath: '/home/alice/.claude.json' });
    expect(everywhere.serverNames).toEqual(['memory', 'db', 'other']);
  });

  it('takes only per-project servers when ~/.claude.json has none at the top level', () => {
    const files = build(
      { projects: { '/work/app': { mcpServers: { db: { command: 'db-mcp' } } } } },
      { client: 'claude-code', projectDir: '/work/app' },
    );
    expect(load(files).servers).toEqual({ db: { command: 'db-mcp', args: [] } });
  });

  it('rejects a file with no mcpServers anywhere', () => {
    expect(() => build({ theme: 'dark' })).toThrow(WardenError);
    expect(() => build({ theme: 'dark' })).toThrow(
      '/home/alice/client.json has no "mcpServers"; expected { "mcpServers": { "<name>": { "command": … } } }',
    );
    expect(() => build([1, 2])).toThrow('/home/alice/client.json: expected a JSON object with "mcpServers"');
  });

  it('uses the given database, policies and Warden command', () => {
    const files = build(
      { mcpServers: {} },
      {
        databasePath: 'audit/warden.db',
        policies: ['mine.yaml'],
        wardenCommand: { command: 'node', args: ['/opt/warden/dist/cli/index.js'] },
      },
    );
    const config = load(files);
    expect(config.database).toBe('/home/alice/warden/audit/warden.db');
    expect(config.policies).toEqual(['/home/alice/warden/mine.yaml']);
    expect(files.clientSnippet.mcpServers.warden).toEqual({
      command: 'node',
      args: ['/opt/warden/dist/cli/index.js', 'serve', '--config', CONFIG_PATH],
    });
    expect(files.notes).toContain(
      'No usable servers in /home/alice/client.json; add them under "servers" in warden.yaml.',
    );
  });
});

describe('clientConfigCandidates', () => {
  const where = { homeDir: '/home/alice', cwd: '/work/app' };

  it("lists each client's config files, project files before the user's", () => {
    expect(clientConfigCandidates({ ...where, platform: 'linux' })).toEqual([
      { client: 'cursor', path: '/work/app/.cursor/mcp.json' },
      { client: 'claude-code', path: '/work/app/.mcp.json' },
      { client: 'claude-desktop', path: '/home/alice/.config/Claude/claude_desktop_config.json' },
      { client: 'cursor', path: '/home/alice/.cursor/mcp.json' },
      { client: 'claude-code', path: '/home/alice/.claude.json' },
    ]);
  });

  it("finds Claude Desktop's config where macOS and Windows keep it", () => {
    expect(clientConfigCandidates({ ...where, platform: 'darwin' }, 'claude-desktop')).toEqual([
      {
        client: 'claude-desktop',
        path: '/home/alice/Library/Application Support/Claude/claude_desktop_config.json',
      },
    ]);
    expect(
      clientConfigCandidates({ ...where, platform: 'win32', appData: '/appdata' }, 'claude-desktop'),
    ).toEqual([
      { client: 'claude-desktop', path: path.join('/appdata', 'Claude', 'claude_desktop_config.json') },
    ]);
  });

  it('tells the client from the file name', () => {
    expect(detectClientKind('/x/claude_desktop_config.json')).toBe('claude-desktop');
    expect(detectClientKind('/x/.cursor/mcp.json')).toBe('cursor');
    expect(detectClientKind('/x/.mcp.json')).toBe('claude-code');
    expect(detectClientKind('/home/a/.claude.json')).toBe('claude-code');
    expect(detectClientKind('/x/servers.json')).toBeUndefined();
  });
});
