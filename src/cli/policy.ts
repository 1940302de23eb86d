// `warden policy check | explain`: validate policy files, and show which rules fire for a call and why.
import type { Command } from 'commander';
import { loadConfigFile, resolveConfigPath } from '../config/load.js';
import { WardenError, errorMessage } from '../errors.js';
import { explainCall, formatExplanation, loadPolicyFiles } from '../policy/index.js';
import type { ToolAnnotationHints } from '../policy/index.js';

interface CheckOptions {
  config?: string;
}

interface ExplainOptions {
  config?: string;
  server?: string;
  tool: string;
  args: string;
  annotations?: string;
  json?: boolean;
}

/** Runs a command body; a thrown error becomes `warden: <message>` on stderr and exit code 1. */
async function run(body: () => void | Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    process.stderr.write(`warden: ${errorMessage(error)}\n`);
    process.exitCode = 1;
  }
}

function parseJsonObject(text: string, option: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new WardenError(
      'USAGE',
      `${option} is not valid JSON (${errorMessage(cause)}); quote it for the shell, e.g. ${option} '{"path":"/tmp/x"}'`,
      { cause },
    );
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new WardenError('USAGE', `${option} must be a JSON object, e.g. ${option} '{"path":"/tmp/x"}'`);
  }
  return value as Record<string, unknown>;
}

/**
 * Splits an exposed name `<server>__<tool>` by the configured server names (longest first, so `fs__x` and
 * `fs__extra__y` resolve to the right server), rather than by the first `__`: server names may contain `_`.
 */
export function resolveExposedName(
  name: string,
  servers: readonly string[],
): { server: string; tool: string } {
  const byLength = [...servers].sort((a, b) => b.length - a.length);
  const server = byLength.find((s) => name.startsWith(`${s}__`) && name.length > s.length + 2);
  if (!server) {
    const known = servers.length > 0 ? servers.join(', ') : '(none configured)';
    throw new WardenError(
      'USAGE',
      `--tool ${name} does not start with a configured server name and "__" (servers: ${known}); pass the exposed name <server>__<tool>, or --server S --tool T`,
    );
  }
  return { server, tool: name.slice(server.length + 2) };
}

/** Registers `warden policy check` and `warden policy explain` on the program. */
export function registerPolicyCommands(program: Command): void {
  const policy = program.command('policy').description('validate risk policies and explain their verdicts');

  policy
    .command('check')
    .description('validate policy files (by default, the ones the config lists)')
    .argument('[files...]', 'policy files to check together')
    .option(
      '-c, --config <path>',
      'config whose `policies:` to check when no files are given (default: $WARDEN_CONFIG or ./warden.yaml)',
    )
    .action((files: string[], options: CheckOptions) =>
      run(() => {
        const paths =
          files.length > 0
            ? files
            : loadConfigFile(resolveConfigPath(options.config), process.env, { serversNeeded: false }).config
                .policies;
        const compiled = loadPolicyFiles(paths);
        const rules = `${compiled.ruleCount} rule${compiled.ruleCount === 1 ? '' : 's'}`;
        const fileCount = `${paths.length} file${paths.length === 1 ? '' : 's'}`;
        process.stdout.write(`ok: ${rules} in ${fileCount} (version ${compiled.version.slice(0, 8)})\n`);
      }),
    );

  policy
    .command('explain')
    .description('show the verdict for a tool call, and which rules fire and why')
    .requiredOption(
      '--tool <name>',
      'the exposed name <server>__<tool>, or the tool name when --server is given',
    )
    .option('--server <name>', 'configured server name (then --tool is the tool name on that server)')
    .option('--args <json>', 'the call arguments as a JSON object', '{}')
    .option('--annotations <json>', 'tool annotations as JSON, e.g. \'{"readOnlyHint":true}\'')
    .option('--json', 'print the explanation as JSON')
    .option('-c, --config <path>', 'config file (default: $WARDEN_CONFIG or ./warden.yaml)')
    .action((options: ExplainOptions) =>
      run(() => {
        const args = parseJsonObject(options.args, '--args');
        const annotations =
          options.annotations === undefined
            ? undefined
            : (parseJsonObject(options.annotations, '--annotations') as ToolAnnotationHints);
        const { config } = loadConfigFile(resolveConfigPath(options.config), process.env, {
          serversNeeded: false,
        });
        const servers = Object.keys(config.servers);
        let target: { server: string; tool: string };
        if (options.server !== undefined) {
          if (!servers.includes(options.server)) {
            throw new WardenError(
              'USAGE',
              `--server ${options.server} is not in the config (servers: ${servers.join(', ') || '(none)'})`,
            );
          }
          target = { server: options.server, tool: options.tool };
        } else {
          target = resolveExposedName(options.tool, servers);
        }
        const compiled = loadPolicyFiles(config.policies);
        const explanation = explainCall(compiled, {
          ...target,
          args,
          ...(annotations ? { annotations } : {}),
        });
        process.stdout.write(
          options.json ? `${JSON.stringify(explanation, null, 2)}\n` : `${formatExplanation(explanation)}\n`,
        );
      }),
    );
}
