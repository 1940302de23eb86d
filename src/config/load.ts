// Reading warden.yaml: a pure parseConfig(text, env) beside a thin loadConfigFile(path).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { WardenError } from '../errors.js';
import { configSchema, isStdioServer, type WardenConfig } from './schema.js';

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
}

/** `--config`, else `WARDEN_CONFIG`, else `./warden.yaml`. */
export function resolveConfigPath(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(option ?? env.WARDEN_CONFIG ?? 'warden.yaml');
}

/** Replaces `${VAR}` (and `${VAR:-default}`) in every string; a missing variable without default is an error. */
export function interpolateEnv(value: unknown, env: NodeJS.ProcessEnv, where: string[] = []): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_m, name: string, fallback?: string) => {
      const found = env[name];
      if (found !== undefined) return found;
      if (fallback !== undefined) return fallback;
      throw new WardenError(
        'CONFIG_ENV_MISSING',
        `${where.join('.') || '(root)'}: environment variable ${name} is not set (referenced as \${${name}}); set it or write \${${name}:-default}`,
      );
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => interpolateEnv(item, env, [...where, String(i)]));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, interpolateEnv(v, env, [...where, k])]),
    );
  }
  return value;
}

/** Parses and validates config text. Throws WardenError with the key path and what is expected. */
export function parseConfig(text: string, env: NodeJS.ProcessEnv, options: ParseConfigOptions): WardenConfig {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    const pos = first.linePos?.[0];
    throw new WardenError('CONFIG_PARSE', `${options.source}: invalid YAML: ${first.message}`, {
      location: { file: options.source, line: pos?.line, column: pos?.col },
    });
  }
  const raw = interpolateEnv(doc.toJS() ?? {}, env);
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const key = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
      return `  ${key}: ${issue.message}`;
    });
    throw new WardenError('CONFIG_INVALID', `${options.source}: invalid config:\n${lines.join('\n')}`);
  }
  const config = result.data;
  config.database = path.resolve(options.baseDir, config.database);
  config.policies = config.policies.map((p) => path.resolve(options.baseDir, p));
  for (const server of Object.values(config.servers)) {
    if (isStdioServer(server) && server.cwd) server.cwd = path.resolve(options.baseDir, server.cwd);
  }
  return config;
}

/** Reads and validates a config file. */
export function loadConfigFile(configPath: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const absolute = path.resolve(configPath);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (cause) {
    throw new WardenError(
      'CONFIG_NOT_FOUND',
      `cannot read config ${absolute}: ${(cause as NodeJS.ErrnoException).code ?? cause}; pass --config or set WARDEN_CONFIG (\`warden init\` writes one)`,
      { cause },
    );
  }
  return { config: parseConfig(text, env, { source: absolute, baseDir: path.dirname(absolute) }), path: absolute };
}
