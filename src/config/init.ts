// `warden init`, the pure part: an MCP client's config (Claude Desktop, Cursor, Claude Code) in, a commented
// warden.yaml and the client snippet that routes the agent through Warden out. Secrets stay out of warden.yaml.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Document, isMap, isScalar, type Scalar } from 'yaml';
import { WardenError } from '../errors.js';
import { SERVER_NAME_PATTERN } from './schema.js';

/** The MCP clients whose config `warden init` reads. They share the `{ "mcpServers": { … } }` shape. */
export const CLIENT_KINDS = ['claude-desktop', 'cursor', 'claude-code'] as const;
export type ClientKind = (typeof CLIENT_KINDS)[number];

const CLIENT_NAMES: Record<ClientKind, string> = {
  'claude-desktop': 'Claude Desktop',
  cursor: 'Cursor',
  'claude-code': 'Claude Code',
};

export interface BuildInitInput {
  /** The client's parsed JSON config. */
  clientConfig: unknown;
  /** Where it came from (named in comments and notes). */
  sourcePath: string;
  /** Decides how `${…}` in the client's values is read: Claude Code and Cursor expand some, Claude Desktop none. */
  client: ClientKind;
  principal: string;
  /** Where warden.yaml will be written; the snippet names it by absolute path. */
  configPath: string;
  /** Defaults to `warden.db` beside the config. */
  databasePath?: string;
  /** Defaults to the shipped `policies/default.yaml` and `policies/filesystem.yaml`. */
  policies?: string[];
  /** The policies are copies of the shipped ones beside the config (`warden init` copies them): said in a comment. */
  policiesCopied?: boolean;
  /** How the client starts Warden, before `serve --config …`; defaults to `npx -y mcp-warden`. */
  wardenCommand?: { command: string; args: string[] };
  /**
   * For `~/.claude.json`: the project folder whose `projects[<dir>].mcpServers` join the top-level ones. Without it,
   * every project's servers are taken.
   */
  projectDir?: string;
}

/** The `mcpServers` entry that starts Warden; the same for all three clients. */
export interface ClientSnippet {
  mcpServers: { warden: { command: string; args: string[]; env?: Record<string, string> } };
}

export interface InitFiles {
  wardenYaml: string;
  /** The servers in warden.yaml, in order. */
  serverNames: string[];
  clientSnippet: ClientSnippet;
  /** Things the operator must know or do: secrets to set, servers skipped or renamed. */
  notes: string[];
}

/**
 * The folder of policies shipped with the package. From `dist/config/init.js` (and `src/config/init.ts`) two levels
 * up is the package root, which holds `policies/`.
 */
/** The example policies shipped in the package's `policies/` folder. */
export const SHIPPED_POLICY_FILES: readonly string[] = [
  'default.yaml',
  'filesystem.yaml',
  'shell.yaml',
  'sql.yaml',
  'cloud-iam.yaml',
  'github.yaml',
];

/** The ones a new warden.yaml uses. */
export const DEFAULT_POLICY_FILES: readonly string[] = ['default.yaml', 'filesystem.yaml'];

export function packagePoliciesDir(): string {
  return fileURLToPath(new URL('../../policies/', import.meta.url));
}

export interface ClientConfigCandidate {
  client: ClientKind;
  path: string;
}

/**
 * Where each client keeps its MCP config, in the order `warden init` tries them (project files before the user's).
 * Pure: the caller passes the platform and folders.
 */
export function clientConfigCandidates(
  where: { platform: NodeJS.Platform; homeDir: string; cwd: string; appData?: string },
  client?: ClientKind,
): ClientConfigCandidate[] {
  const { platform, homeDir, cwd } = where;
  const desktopDir =
    platform === 'darwin'
      ? path.join(homeDir, 'Library', 'Application Support', 'Claude')
      : platform === 'win32'
        ? path.join(where.appData ?? path.join(homeDir, 'AppData', 'Roaming'), 'Claude')
        : path.join(homeDir, '.config', 'Claude');
  const all: ClientConfigCandidate[] = [
    { client: 'cursor', path: path.join(cwd, '.cursor', 'mcp.json') },
    { client: 'claude-code', path: path.join(cwd, '.mcp.json') },
    { client: 'claude-desktop', path: path.join(desktopDir, 'claude_desktop_config.json') },
    { client: 'cursor', path: path.join(homeDir, '.cursor', 'mcp.json') },
    { client: 'claude-code', path: path.join(homeDir, '.claude.json') },
  ];
  return client ? all.filter((c) => c.client === client) : all;
}

/** The client a config file belongs to, from its name; undefined when the name does not tell. */
export function detectClientKind(filePath: string): ClientKind | undefined {
  const base = path.basename(filePath);
  if (base === 'claude_desktop_config.json') return 'claude-desktop';
  if (base === '.mcp.json' || base === '.claude.json') return 'claude-code';
  if (base === 'mcp.json' && path.basename(path.dirname(filePath)) === '.cursor') return 'cursor';
  return undefined;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `{ name: entry }` pairs from the top-level `mcpServers` and, for ~/.claude.json, `projects[<dir>].mcpServers`. */
function collectEntries(input: BuildInitInput, notes: string[]): Array<[string, unknown]> {
  const config = input.clientConfig;
  if (!isRecord(config)) {
    throw new WardenError('INIT', `${input.sourcePath}: expected a JSON object with "mcpServers"`);
  }
  const entries: Array<[string, unknown]> = [];
  let found = false;
  const add = (servers: unknown, from: string) => {
    if (!isRecord(servers)) return;
    found = true;
    for (const [name, entry] of Object.entries(servers)) {
      const same = entries.find(([n]) => n === name);
      if (!same) entries.push([name, entry]);
      else if (JSON.stringify(same[1]) !== JSON.stringify(entry)) {
        notes.push(`Skipped "${name}" from ${from}: a different server of that name is already included.`);
      }
    }
  };
  add(config.mcpServers, input.sourcePath);
  if (isRecord(config.projects)) {
    const wanted = input.projectDir === undefined ? undefined : path.resolve(input.projectDir);
    const others: string[] = [];
    for (const [dir, project] of Object.entries(config.projects)) {
      if (!isRecord(project) || !isRecord(project.mcpServers) || Object.keys(project.mcpServers).length === 0)
        continue;
      if (wanted === undefined || path.resolve(dir) === wanted) add(project.mcpServers, `project ${dir}`);
      else others.push(dir);
    }
    if (others.length > 0) {
      notes.push(
        `${input.sourcePath} also lists servers for other projects (${others.join(', ')}); run warden init there to include them.`,
      );
    }
  }
  if (!found) {
    throw new WardenError(
      'INIT',
      `${input.sourcePath} has no "mcpServers"; expected { "mcpServers": { "<name>": { "command": … } } }`,
    );
  }
  return entries;
}

const SECRET_NAME = /token|secret|key|passw(or)?d|authorization|credential|cookie/i;
const TOKEN_PREFIX =
  /^(gh[pousr]_|github_pat_|glpat-|xox[abposr]-|sk-|sk_(live|test)_|rk_(live|test)_|AKIA|ASIA|AIza|ya29\.|npm_|pypi-|hf_|shp(at|ss)_|SG\.)/;

/** Whether a value looks like a credential on its own: a known token prefix, a JWT, or a long random string. */
function looksLikeToken(value: string): boolean {
  if (TOKEN_PREFIX.test(value)) return true;
  if (/^eyJ[\w-]+\.[\w-]+\.[\w-]*$/.test(value)) return true;
  if (/^(bearer|basic|token)\s+\S{8,}$/i.test(value)) return true;
  return (
    value.length >= 24 && /^[A-Za-z0-9_\-+=.~]+$/.test(value) && /[A-Za-z]/.test(value) && /\d/.test(value)
  );
}

/** `scheme://user:password@`: the password, wherever such a url sits in a value. */
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:@/]*:)([^\s@/]+)@/gi;

/**
 * The password of an ADO.NET / ODBC connection string (`Server=…;User Id=…;Password=…;`, `…;PWD={…};`): the key at
 * the start or after a `;`, then the value quoted (`"…"`, `'…'`, doubled quotes inside), braced (`{…}`, `}}` inside)
 * or bare up to the next `;`.
 */
const CONNECTION_PASSWORD =
  /(^|;)(\s*(?:password|pwd)\s*=\s*)(?:"((?:[^"]|"")*)"|'((?:[^']|'')*)'|\{((?:[^}]|\}\})*)\}|([^;]*))/gi;

/** The mysql and mariadb clients, whose `-p<password>` is the password (elsewhere `-p` is a port or a flag). */
const MYSQL_CLIENT =
  /^(?:mysql(?:dump|admin|import|show|check|pump|slap|binlog|sh)?|mariadb(?:-?(?:dump|admin|import|show|check|slap|binlog))?)(?:\.exe)?$/i;

/**
 * Whether a command or argument names a mysql or mariadb client (`mysql`, `/usr/bin/mariadb-dump`, `C:\…\mysql.exe`).
 * A word with `:` (past a drive letter) or `=` is a value, not a command: `mysql-data:/var/lib/mysql` is a volume.
 */
const isMysqlClient = (word: string) => {
  const local = word.replace(/^[A-Za-z]:[\\/]/, '/');
  return !/[:=]/.test(local) && MYSQL_CLIENT.test(local.split(/[\\/]/).pop() ?? '');
};

const isReference = (value: string) => /^\$\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\}$/.test(value);

/** Upper-case environment variable name from parts: `github`, `X-API-Key` → `GITHUB_X_API_KEY`. */
function envName(...parts: string[]): string {
  const clean = (part: string) =>
    part
      .toUpperCase()
      .replace(/[^A-Z0-9]+/g, '_')
      .replace(/^_+|_+$/g, '');
  // `context7` and `CONTEXT7_API_KEY` make CONTEXT7_API_KEY, not CONTEXT7_CONTEXT7_API_KEY.
  const cleaned = parts.map(clean).filter(Boolean);
  const kept = cleaned.filter((part, i) => !(cleaned[i + 1] ?? '').startsWith(`${part}_`));
  const name = kept.join('_');
  return /^[A-Z_]/.test(name) ? name : `MCP_${name}`;
}

/** Secrets moved out of warden.yaml: each gets a variable name, shared when two values are the same secret. */
function createSecretTable() {
  const values = new Map<string, string>();
  return {
    values,
    /** The first free name among `candidates` (or the last with a number) for `value`. */
    allocate(candidates: string[], value: string): string {
      for (const name of candidates) {
        const taken = values.get(name);
        if (taken === undefined || taken === value) {
          values.set(name, value);
          return name;
        }
      }
      const last = candidates[candidates.length - 1]!;
      for (let n = 2; ; n++) {
        const name = `${last}_${n}`;
        const taken = values.get(name);
        if (taken === undefined || taken === value) {
          values.set(name, value);
          return name;
        }
      }
    },
  };
}

type SecretTable = ReturnType<typeof createSecretTable>;

/**
 * Rewrites `${…}` in a value copied from the client so Warden reads it the way the client did: Claude Code's
 * `${VAR}` and `${VAR:-default}` mean the same to Warden; Cursor's `${env:VAR}` becomes `${VAR}`; anything else
 * (all of Claude Desktop's, which it never expands) is escaped to stay literal.
 */
function translateReferences(value: string, client: ClientKind, unknown: (ref: string) => void): string {
  return value.replace(/\$\{([^}]*)\}?/g, (match: string, inner: string) => {
    if (!match.endsWith('}')) return `$${match}`;
    if (client === 'claude-code' && /^[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?$/.test(inner)) return match;
    const cursorEnv = /^env:([A-Za-z_][A-Za-z0-9_]*)$/.exec(inner);
    if (client === 'cursor' && cursorEnv) return `\${${cursorEnv[1]}}`;
    if (client !== 'claude-desktop') unknown(match);
    return `$${match}`;
  });
}

interface ConvertContext {
  client: ClientKind;
  secrets: SecretTable;
  notes: string[];
}

/** One client entry as a warden.yaml server, or the reason it is skipped. */
function convertServer(name: string, entry: unknown, ctx: ConvertContext): Record<string, unknown> | string {
  if (!isRecord(entry)) return 'it is not a JSON object';
  const type = entry.type;
  if (type === 'sse') {
    return 'it uses SSE, which Warden does not support. If the server also offers Streamable HTTP (often at /mcp), add it under servers with that url; otherwise keep it in your client config, where it does not go through Warden';
  }
  if (type !== undefined && !['stdio', 'http', 'streamable-http', 'streamableHttp'].includes(String(type))) {
    return `its type "${String(type)}" is not one Warden knows (stdio or http)`;
  }
  const prefix = name.replace(/-/g, '_');
  const copy = (value: string) =>
    translateReferences(value, ctx.client, (ref) =>
      ctx.notes.push(
        `servers.${name}: ${ref} has no meaning outside ${CLIENT_NAMES[ctx.client]}; it is kept as literal text, replace it.`,
      ),
    );
  /** Keeps a value, or moves it into the secret table and returns its `${NAME}` reference. */
  const secret = (value: string, candidates: string[], force: boolean): string => {
    const text = copy(value);
    if (isReference(text)) return text;
    if (force || looksLikeToken(value)) return `\${${ctx.secrets.allocate(candidates, value)}}`;
    const passwordReference = (password: string) =>
      `\${${ctx.secrets.allocate([envName(prefix, 'PASSWORD')], password)}}`;
    // A connection string in an argument or a variable (`postgres://app:hunter2@db/prod`): only its password moves.
    const withoutUrlPassword = text.replace(URL_PASSWORD, (_match, head: string, password: string) =>
      password.startsWith('${') ? `${head}${password}@` : `${head}${passwordReference(password)}@`,
    );
    // The same for `Server=db;User Id=app;Password=…;`: the quotes or braces stay, the password inside them moves.
    if (!withoutUrlPassword.includes(';')) return withoutUrlPassword;
    return withoutUrlPassword.replace(
      CONNECTION_PASSWORD,
      (match, start: string, key: string, ...values: Array<string | undefined>) => {
        const [doubleQuoted, singleQuoted, braced, bare = ''] = values;
        const inside = doubleQuoted ?? singleQuoted ?? braced;
        const password = inside ?? bare.trimEnd();
        if (password === '' || isReference(password)) return match;
        const [open, close] =
          doubleQuoted !== undefined
            ? ['"', '"']
            : singleQuoted !== undefined
              ? ["'", "'"]
              : braced !== undefined
                ? ['{', '}']
                : ['', ''];
        // A bare value keeps the blanks before its `;` out of the variable.
        const after = inside === undefined ? bare.slice(password.length) : close;
        return `${start}${key}${open}${passwordReference(password)}${after}`;
      },
    );
  };

  const out: Record<string, unknown> = {};
  let known: string[];
  if (typeof entry.command === 'string' && type !== 'http') {
    known = ['type', 'command', 'args', 'env', 'cwd', 'disabled'];
    out.command = copy(entry.command);
    if (Array.isArray(entry.args) && entry.args.length > 0) {
      const args = entry.args.map(String);
      // Where a mysql client is first named: -1 for the command itself, Infinity when nowhere.
      const clientArg = args.findIndex(isMysqlClient);
      const mysqlAt = isMysqlClient(entry.command) ? -1 : clientArg === -1 ? Infinity : clientArg;
      out.args = args.map((value, i) => {
        // `mysql -p<password>`: only after a mysql client (`ssh -p2222`, `mkdir -p` keep theirs).
        const glued = /^-p([^-].*)$/s.exec(value);
        if (glued && mysqlAt < i) return `-p${secret(glued[1]!, [envName(prefix, 'PASSWORD')], true)}`;
        // `--token=…` and `--token …`: the flag's name says what the value is.
        const inline = /^(--?)([A-Za-z][\w-]*)=(.*)$/.exec(value);
        if (inline) {
          const flag = inline[2]!;
          return `${inline[1]}${flag}=${secret(inline[3]!, [envName(prefix, flag)], SECRET_NAME.test(flag))}`;
        }
        const flag = /^--?([A-Za-z][\w-]*)$/.exec(args[i - 1] ?? '')?.[1];
        const candidates = [envName(prefix, flag ?? `ARG_${i}`)];
        return secret(value, candidates, flag !== undefined && SECRET_NAME.test(flag));
      });
    }
    if (isRecord(entry.env) && Object.keys(entry.env).length > 0) {
      out.env = Object.fromEntries(
        Object.entries(entry.env).map(([key, value]) => {
          const candidates = /^[A-Za-z_][A-Za-z0-9_]*$/.test(key)
            ? [key, envName(prefix, key)]
            : [envName(prefix, key)];
          return [key, secret(String(value), candidates, SECRET_NAME.test(key))];
        }),
      );
    }
    if (typeof entry.cwd === 'string') out.cwd = copy(entry.cwd);
  } else if (typeof entry.url === 'string') {
    known = ['type', 'url', 'headers', 'disabled'];
    out.url = convertUrl(entry.url, prefix, copy, ctx.secrets);
    if (/\/sse\/?$/.test(entry.url) && type === undefined) {
      ctx.notes.push(
        `servers.${name}: ${entry.url} looks like an SSE endpoint; Warden speaks Streamable HTTP only, so point it at the server's Streamable HTTP url if it has one.`,
      );
    }
    if (isRecord(entry.headers) && Object.keys(entry.headers).length > 0) {
      out.headers = Object.fromEntries(
        Object.entries(entry.headers).map(([header, raw]) => {
          const value = String(raw);
          const scheme = /^(bearer|basic|token)\s+(\S.*)$/i.exec(value);
          const isAuth = /^(authorization|proxy-authorization)$/i.test(header);
          if (scheme && (isAuth || SECRET_NAME.test(header) || looksLikeToken(scheme[2]!))) {
            const name = isAuth ? envName(prefix, 'TOKEN') : envName(prefix, header);
            return [header, `${scheme[1]} ${secret(scheme[2]!, [name], true)}`];
          }
          return [header, secret(value, [envName(prefix, header)], SECRET_NAME.test(header))];
        }),
      );
    }
  } else {
    return 'it has neither "command" (a stdio server) nor "url" (a Streamable HTTP server)';
  }
  if (entry.disabled === true) out.disabled = true;
  const dropped = Object.keys(entry).filter((k) => !known.includes(k));
  if (dropped.length > 0) {
    ctx.notes.push(
      `servers.${name}: left out ${dropped.map((k) => `"${k}"`).join(', ')} (${CLIENT_NAMES[ctx.client]} settings Warden does not use).`,
    );
  }
  return out;
}

/** A server url with credentials in it (`user:pass@`, `?api_key=…`) rewritten to `${NAME}` references. */
function convertUrl(raw: string, prefix: string, copy: (v: string) => string, secrets: SecretTable): string {
  // A url holding references is the client's template; rewriting it through URL would percent-encode them.
  if (raw.includes('${') || !URL.canParse(raw)) return copy(raw);
  const url = new URL(raw);
  const replacements: Array<[string, string]> = [];
  const placeholder = (value: string, name: string) => {
    const token = `WARDENSECRET${replacements.length}X`;
    replacements.push([token, `\${${secrets.allocate([name], value)}}`]);
    return token;
  };
  if (url.password) url.password = placeholder(decodeURIComponent(url.password), envName(prefix, 'PASSWORD'));
  for (const [key, value] of [...url.searchParams]) {
    if (SECRET_NAME.test(key) || looksLikeToken(value))
      url.searchParams.set(key, placeholder(value, envName(prefix, key)));
  }
  if (replacements.length === 0) return copy(raw);
  let text = copy(url.toString());
  for (const [token, reference] of replacements) text = text.replace(token, reference);
  return text;
}

/** A valid, unique warden.yaml server name for a client's entry name. */
function serverName(name: string, taken: ReadonlySet<string>): string {
  if (SERVER_NAME_PATTERN.test(name)) return name;
  const base =
    name
      .replace(/[^a-zA-Z0-9_-]+/g, '_')
      .replace(/_{2,}/g, '_')
      .replace(/^_+|_+$/g, '')
      .slice(0, 48) || 'server';
  let candidate = base;
  for (let n = 2; taken.has(candidate); n++) candidate = `${base.slice(0, 48 - String(n).length - 1)}_${n}`;
  return candidate;
}

/** Whether a client entry starts Warden itself (a second `warden init` run on an already routed config). */
function isWardenEntry(name: string, entry: unknown): boolean {
  if (!isRecord(entry)) return false;
  const words = [entry.command, ...(Array.isArray(entry.args) ? entry.args : [])].map(String);
  return (
    (name === 'warden' && words.some((w) => /warden/.test(w))) ||
    words.some((w) => /(^|\/)mcp-warden(@|$)/.test(w))
  );
}

/** A path for warden.yaml: relative when inside the config's folder, absolute otherwise. */
function pathFromConfig(configDir: string, target: string): string {
  const relative = path.relative(configDir, target);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : target;
}

const HEADER_COMMENT = (source: string) =>
  [
    ` Warden configuration, written by \`warden init\` from ${source}.`,
    ' Warden sits between the agent and these MCP servers: every tool call is checked against the policies,',
    ' recorded in the audit log, and held for a human when a policy says "approve".',
    ' ${NAME} reads the environment variable NAME when Warden starts (${NAME:-default} gives a default;',
    ' $${ writes a literal "${"). Relative paths are relative to this file\'s folder.',
  ].join('\n');

const SECTION_COMMENTS: Record<string, string> = {
  principal:
    ' The person the agent acts for: recorded as the requester of every call, and never allowed to approve\n their own requests. A string id, or { id, name, email }.',
  database:
    ' SQLite file holding the tamper-evident audit log and the approval queue (created when missing).',
  policies:
    ' Policy files, in order: their rules give each tool call a risk and an action (allow, approve or deny).',
  servers:
    ' The MCP servers Warden proxies. A server has either command/args/env/cwd (a child process over stdio)\n or url/headers (Streamable HTTP). "disabled: true" keeps one in the file without starting it.',
};

const OPTIONAL_SETTINGS = [
  ' Optional settings, shown with their defaults:',
  ' gateway:',
  '   maxArgumentBytes: 1048576   # largest accepted tool-call arguments (JSON bytes)',
  '   callTimeoutMs: 300000       # a forwarded call running longer fails',
  '   startTimeoutMs: 30000       # time for a server to start and list its tools',
  '   restart: { maxAttempts: 5, initialDelayMs: 500, maxDelayMs: 30000 }   # crashed stdio servers',
  ' audit:',
  '   synchronous: normal         # "full" also survives power loss, at some speed',
  '   excerptChars: 500           # longest result excerpt kept per call',
  ' logLevel: info                # debug, info, warn, error or silent (always on stderr)',
].join('\n');

function renderYaml(
  config: Record<string, unknown>,
  source: string,
  policies: 'shipped' | 'copied' | 'own',
): string {
  const doc = new Document(config);
  const comments = { ...SECTION_COMMENTS };
  if (policies === 'shipped') {
    comments.policies +=
      '\n These are the ones shipped with Warden; copy them beside this file to edit them.';
  } else if (policies === 'copied') {
    comments.policies += `\n Copies of the ones shipped with Warden, yours to edit; ${SHIPPED_POLICY_FILES.filter((f) => !DEFAULT_POLICY_FILES.includes(f)).join(', ')} are beside them to add.`;
  }
  doc.commentBefore = HEADER_COMMENT(source);
  if (isMap(doc.contents)) {
    for (const pair of doc.contents.items) {
      const key = pair.key as Scalar;
      if (!isScalar(key)) continue;
      const comment = comments[String(key.value)];
      if (comment) {
        key.commentBefore = comment;
        // The first key already follows the header's blank line.
        key.spaceBefore = pair !== doc.contents.items[0];
      }
    }
  }
  doc.comment = OPTIONAL_SETTINGS;
  return doc.toString({ lineWidth: 0 });
}

/**
 * Turns an MCP client's config into warden.yaml text and the `mcpServers` snippet that makes the client start
 * Warden instead. Every server entry becomes a Warden server (SSE and unusable entries are skipped with a note);
 * secrets (by key name or by looks) are replaced with `${NAME}` and travel in the snippet's `env`, so they reach
 * Warden's process from the client config as they reached the servers before, and never sit in warden.yaml.
 * Pure: reads and writes nothing.
 */
export function buildInitFiles(input: BuildInitInput): InitFiles {
  const notes: string[] = [];
  const configPath = path.resolve(input.configPath);
  const configDir = path.dirname(configPath);
  const secrets = createSecretTable();
  const ctx: ConvertContext = { client: input.client, secrets, notes };
  const servers: Record<string, unknown> = {};
  const entries = collectEntries(input, notes);
  // Valid names are kept as they are; a renamed server must not take one of them.
  const taken = new Set(entries.map(([name]) => name).filter((name) => SERVER_NAME_PATTERN.test(name)));

  for (const [original, entry] of entries) {
    if (isWardenEntry(original, entry)) {
      notes.push(`Skipped "${original}": it starts Warden itself.`);
      continue;
    }
    const name = serverName(original, taken);
    const converted = convertServer(name, entry, ctx);
    if (typeof converted === 'string') {
      notes.push(`Skipped "${original}": ${converted}.`);
      continue;
    }
    taken.add(name);
    if (name !== original) {
      notes.push(
        `Server "${original}" is named "${name}" in warden.yaml (names use letters, digits, _ and -, at most 48, without "__").`,
      );
    }
    servers[name] = converted;
  }
  if (Object.keys(servers).length === 0) {
    notes.push(`No usable servers in ${input.sourcePath}; add them under "servers" in warden.yaml.`);
  }

  const policies =
    input.policies ??
    DEFAULT_POLICY_FILES.map((file) => pathFromConfig(configDir, path.join(packagePoliciesDir(), file)));
  const wardenYaml = renderYaml(
    {
      principal: input.principal,
      database: input.databasePath ?? 'warden.db',
      policies,
      servers,
    },
    input.sourcePath,
    input.policies === undefined ? 'shipped' : input.policiesCopied ? 'copied' : 'own',
  );

  const launcher = input.wardenCommand ?? { command: 'npx', args: ['-y', 'mcp-warden'] };
  const warden: ClientSnippet['mcpServers']['warden'] = {
    command: launcher.command,
    args: [...launcher.args, 'serve', '--config', configPath],
  };
  if (secrets.values.size > 0) {
    warden.env = Object.fromEntries(secrets.values);
    const names = [...secrets.values.keys()].join(', ');
    notes.push(
      `Secrets were kept out of warden.yaml, which reads them from the environment: ${names}. The client snippet sets them for Warden (as your client config did for the servers); if you start Warden another way, set them there.`,
    );
  }
  return { wardenYaml, serverNames: Object.keys(servers), clientSnippet: { mcpServers: { warden } }, notes };
}
