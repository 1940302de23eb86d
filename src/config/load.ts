// Reading warden.yaml: a pure parseConfig(text, env, options) beside a thin loadConfigFile(path). Every problem is
// reported as `file:line:column: key.path: what is expected`, all of them at once, one per line.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { WardenError, type SourceLocation, type WardenErrorCode } from '../errors.js';
import { configIssueMessage, configSchema, isStdioServer, type WardenConfig } from './schema.js';

export interface LoadedConfig {
  /** Validated config with `database` and `policies` made absolute (relative to the config file's folder). */
  config: WardenConfig;
  /** Absolute path of the file it came from (or the `source` name given to parseConfig). */
  path: string;
}

export interface ParseConfigOptions {
  /** Name used in error messages (the file path). */
  source: string;
  /** Folder that relative paths are resolved against. */
  baseDir: string;
  /**
   * false for commands that never start the servers (audit, requests, policy, review): a server whose `${VAR}` is not
   * set in this environment (an API token the auditor does not have) is kept by name, disabled, with the reference as
   * literal text (left out when that makes it invalid), instead of failing the whole file. Default true. A server
   * with `disabled: true` is always treated so.
   */
  serversNeeded?: boolean;
}

/** Options of loadConfigFile. */
export type LoadConfigOptions = Pick<ParseConfigOptions, 'serversNeeded'>;

/** `--config`, else `WARDEN_CONFIG`, else `./warden.yaml`. */
export function resolveConfigPath(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(option ?? env.WARDEN_CONFIG ?? 'warden.yaml');
}

type KeyPath = ReadonlyArray<string | number>;

/** One problem found in the file: where (if known), which key, and what is wrong. */
interface Problem {
  line?: number;
  column?: number;
  keyPath: KeyPath;
  message: string;
}

// `$${` escapes a literal `${`; `${NAME}` and `${NAME:-default}` are references; any other `${` is a mistake.
const REFERENCE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\{/g;

/** Interpolates one string, reporting each missing variable or malformed reference through `report`. */
function interpolateString(value: string, env: NodeJS.ProcessEnv, report: (message: string) => void): string {
  return value.replace(REFERENCE, (match: string, name: string | undefined, fallback: string | undefined) => {
    if (match === '$${') return '${';
    if (name === undefined) {
      report(
        'has a "${" that does not start a reference: write ${NAME} or ${NAME:-default} (NAME: letters, digits and _), or $${ for a literal "${"',
      );
      return match;
    }
    const found = env[name];
    // As in the shell, `${NAME:-default}` also uses the default when NAME is set but empty.
    if (found !== undefined && (fallback === undefined || found !== '')) return found;
    if (fallback !== undefined) return fallback;
    report(
      `environment variable ${name} is not set (used as \${${name}}); set it, or write \${${name}:-default}`,
    );
    return match;
  });
}

/** Interpolates every string value (never keys) of a parsed document, collecting problems with their key paths. */
function interpolateValue(
  value: unknown,
  env: NodeJS.ProcessEnv,
  where: KeyPath,
  report: (where: KeyPath, message: string) => void,
): unknown {
  if (typeof value === 'string') return interpolateString(value, env, (message) => report(where, message));
  if (Array.isArray(value)) return value.map((item, i) => interpolateValue(item, env, [...where, i], report));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, interpolateValue(v, env, [...where, k], report)]),
    );
  }
  return value;
}

/**
 * Replaces `${VAR}` and `${VAR:-default}` in every string value (keys are left alone); `$${` writes a literal `${`.
 * A missing variable without a default is an error naming the key path and the variable. parseConfig does the same
 * and adds the line; this is for values that never were YAML.
 */
export function interpolateEnv(value: unknown, env: NodeJS.ProcessEnv, where: string[] = []): unknown {
  const problems: string[] = [];
  const result = interpolateValue(value, env, where, (at, message) =>
    problems.push(`${formatKeyPath(at) || '(top level)'}: ${message}`),
  );
  if (problems.length > 0) throw new WardenError('CONFIG_ENV_MISSING', problems.join('\n'));
  return result;
}

/** `servers.fs.args[0]`, quoting keys that are not plain names. */
function formatKeyPath(keyPath: KeyPath): string {
  let text = '';
  for (const segment of keyPath) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(segment)) text += text ? `.${segment}` : segment;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text;
}

type Position = { line?: number; column?: number };

/** Finds key paths in the parsed YAML, for `line:column` in messages. */
interface SourceMap {
  /**
   * Position of the value at `keyPath`, or of its nearest existing parent when it is absent. An empty value
   * (`key:` and nothing) points at its key, where the operator will look.
   */
  valueAt(keyPath: KeyPath): Position;
  /** Position of the key `name` inside the mapping at `keyPath` (falls back to the mapping itself). */
  keyAt(keyPath: KeyPath, name: string): Position;
}

function createSourceMap(doc: Document, lines: LineCounter): SourceMap {
  const position = (node: Node | null): Position => {
    const offset = node?.range?.[0];
    if (offset === undefined) return {};
    const { line, col } = lines.linePos(offset);
    return { line, column: col };
  };
  const walk = (keyPath: KeyPath): { node: Node | null; key: Node | null } => {
    let node: unknown = doc.contents;
    let key: Node | null = null;
    for (const segment of keyPath) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
        if (!pair) break;
        key = isNode(pair.key) ? pair.key : null;
        node = pair.value ?? pair.key;
      } else if (isSeq(node) && typeof segment === 'number' && node.items[segment] !== undefined) {
        key = null;
        node = node.items[segment];
      } else {
        break;
      }
    }
    return { node: isNode(node) ? node : null, key };
  };
  return {
    valueAt(keyPath) {
      const { node, key } = walk(keyPath);
      const empty = isScalar(node) && node.value === null && node.range?.[0] === node.range?.[1];
      return position(empty && key ? key : node);
    },
    keyAt(keyPath, name) {
      const { node } = walk(keyPath);
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === name);
        if (pair && isNode(pair.key)) return position(pair.key);
      }
      return position(node);
    },
  };
}

/** The problems in one zod error, with positions; `servers` is shown as written (`mcpServers` when aliased). */
function problemsFromIssues(issues: z.core.$ZodIssue[], map: SourceMap, serversKey: string): Problem[] {
  const toDocPath = (issuePath: PropertyKey[]): KeyPath => {
    const keyPath = issuePath.map((s) => (typeof s === 'number' ? s : String(s)));
    return keyPath[0] === 'servers' ? [serversKey, ...keyPath.slice(1)] : keyPath;
  };
  const problems: Problem[] = [];
  // A key reported missing right beside an unknown key that suggests it is one typo, reported once (the typo).
  const suggested = new Set<string>();
  for (const issue of issues) {
    const keyPath = toDocPath(issue.path);
    if (issue.code === 'unrecognized_keys') {
      // schema.ts words these one line per key, in the order of `keys`.
      const lines = issue.message.split('\n');
      issue.keys.forEach((name, i) => {
        const message = lines.length === issue.keys.length ? lines[i]! : `unknown key "${name}"`;
        const suggestion = /did you mean "([^"]+)"/.exec(message)?.[1];
        if (suggestion) suggested.add(JSON.stringify([...keyPath, suggestion]));
        problems.push({ ...map.keyAt(keyPath, name), keyPath, message });
      });
    } else if (issue.code === 'invalid_key') {
      const name = keyPath[keyPath.length - 1];
      const where = typeof name === 'string' ? map.keyAt(keyPath.slice(0, -1), name) : map.valueAt(keyPath);
      problems.push({ ...where, keyPath, message: issue.message });
    } else {
      problems.push({ ...map.valueAt(keyPath), keyPath, message: issue.message });
    }
  }
  return problems.filter(
    (p) => !(p.message.startsWith('missing:') && suggested.has(JSON.stringify(p.keyPath))),
  );
}

function fail(code: WardenErrorCode, source: string, problems: Problem[]): never {
  const sorted = [...problems].sort(
    (a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0),
  );
  const lines = sorted.map((p) => {
    const where = p.line === undefined ? source : `${source}:${p.line}:${p.column ?? 1}`;
    const key = formatKeyPath(p.keyPath);
    return key ? `${where}: ${key}: ${p.message}` : `${where}: ${p.message}`;
  });
  const first = sorted[0];
  const location: SourceLocation = { file: source };
  if (first?.line !== undefined) {
    location.line = first.line;
    location.column = first.column;
  }
  throw new WardenError(code, lines.join('\n'), { location });
}

function describeKind(node: unknown): string {
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) return typeof node.value === 'string' ? 'a string' : `the value ${String(node.value)}`;
  return 'something else';
}

/**
 * Parses and validates config text. Throws WardenError (CONFIG_PARSE, CONFIG_ENV_MISSING or CONFIG_INVALID) whose
 * message lists every problem, one per line, as `source:line:column: key.path: what is expected`. Accepts
 * `mcpServers` as another name for `servers`, so a block pasted from Claude Desktop works as is.
 */
export function parseConfig(text: string, env: NodeJS.ProcessEnv, options: ParseConfigOptions): WardenConfig {
  const source = options.source;
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    fail(
      'CONFIG_PARSE',
      source,
      doc.errors.map((error) => {
        const { line, col } = lineCounter.linePos(error.pos[0]);
        return { line, column: col, keyPath: [], message: `invalid YAML: ${error.message}` };
      }),
    );
  }
  const map = createSourceMap(doc, lineCounter);
  const contents: unknown = doc.contents;
  if (contents === null || (isScalar(contents) && contents.value === null)) {
    fail('CONFIG_INVALID', source, [
      {
        keyPath: [],
        message:
          'the file is empty; expected a mapping with principal, policies and servers (`warden init` writes one)',
      },
    ]);
  }
  if (!isMap(contents)) {
    fail('CONFIG_INVALID', source, [
      {
        ...map.valueAt([]),
        keyPath: [],
        message: `expected a mapping of settings (principal, database, policies, servers) at the top level, found ${describeKind(contents)}`,
      },
    ]);
  }

  const raw = doc.toJS() as Record<string, unknown>;
  const aliased = Object.hasOwn(raw, 'mcpServers');
  if (aliased && Object.hasOwn(raw, 'servers')) {
    fail('CONFIG_INVALID', source, [
      {
        ...map.keyAt([], 'mcpServers'),
        keyPath: ['mcpServers'],
        message: 'is another name for "servers" (as in Claude Desktop\'s config); keep one of the two',
      },
    ]);
  }

  const envProblems: Problem[] = [];
  const unresolvedServers = new Set<string>();
  const serversKey = aliased ? 'mcpServers' : 'servers';
  const rawServers = raw[serversKey];
  // A server the operator disabled is never started: its missing secrets are no reason to refuse the file.
  const isDisabled = (name: string) => {
    const entry =
      rawServers !== null && typeof rawServers === 'object'
        ? (rawServers as Record<string, unknown>)[name]
        : undefined;
    return (
      entry !== null && typeof entry === 'object' && (entry as Record<string, unknown>).disabled === true
    );
  };
  const interpolated = interpolateValue(raw, env, [], (keyPath, message) => {
    const [section, server] = keyPath;
    if (
      section === serversKey &&
      typeof server === 'string' &&
      (options.serversNeeded === false || isDisabled(server))
    ) {
      unresolvedServers.add(server);
      return;
    }
    envProblems.push({ ...map.valueAt(keyPath), keyPath, message });
  }) as Record<string, unknown>;
  if (envProblems.length > 0) fail('CONFIG_ENV_MISSING', source, envProblems);
  // The reference stays as literal text; the server is kept by name (policy explain resolves names) but disabled.
  const servers = interpolated[serversKey];
  if (unresolvedServers.size > 0 && servers !== null && typeof servers === 'object') {
    for (const name of unresolvedServers) {
      const entry = (servers as Record<string, unknown>)[name];
      if (entry !== null && typeof entry === 'object') (entry as Record<string, unknown>).disabled = true;
    }
  }
  if (aliased) {
    interpolated.servers = interpolated.mcpServers;
    delete interpolated.mcpServers;
  }

  let result = configSchema.safeParse(interpolated, { error: configIssueMessage });
  const inUnresolved = (issue: z.core.$ZodIssue) =>
    issue.path[0] === 'servers' && unresolvedServers.has(String(issue.path[1]));
  if (!result.success && result.error.issues.some(inUnresolved)) {
    // A literal `${URL}` is no url: such a server is left out rather than reported.
    for (const issue of result.error.issues.filter(inUnresolved)) {
      delete (interpolated.servers as Record<string, unknown>)[String(issue.path[1])];
    }
    result = configSchema.safeParse(interpolated, { error: configIssueMessage });
  }
  if (!result.success) {
    fail(
      'CONFIG_INVALID',
      source,
      problemsFromIssues(result.error.issues, map, aliased ? 'mcpServers' : 'servers'),
    );
  }
  const config = result.data;
  // `:memory:` is SQLite's name for a database that is not a file; it is not a path.
  if (config.database !== ':memory:') config.database = path.resolve(options.baseDir, config.database);
  config.policies = config.policies.map((p) => path.resolve(options.baseDir, p));
  for (const server of Object.values(config.servers)) {
    if (isStdioServer(server) && server.cwd) server.cwd = path.resolve(options.baseDir, server.cwd);
  }
  return config;
}

/** Reads and validates a config file; relative paths in it are relative to its folder. */
export function loadConfigFile(
  configPath: string,
  env: NodeJS.ProcessEnv = process.env,
  options: LoadConfigOptions = {},
): LoadedConfig {
  const absolute = path.resolve(configPath);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (cause) {
    throw new WardenError(
      'CONFIG_NOT_FOUND',
      `cannot read config ${absolute}: ${(cause as NodeJS.ErrnoException).code ?? cause}; pass --config or set WARDEN_CONFIG (\`warden init\` writes one)`,
      { cause, location: { file: absolute } },
    );
  }
  return {
    config: parseConfig(text, env, { ...options, source: absolute, baseDir: path.dirname(absolute) }),
    path: absolute,
  };
}
