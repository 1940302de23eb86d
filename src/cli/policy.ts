// `warden policy check | explain`: validate policy files (and, given a config, the reviewers their rules name), and
// show which rules fire for a call and why.
import type { Command } from 'commander';
import { resolveReviewers, reviewersFromConfig } from '../approvals/identity.js';
import type { Reviewer } from '../approvals/types.js';
import { loadConfigFile, resolveConfigPath } from '../config/load.js';
import type { WardenConfig } from '../config/schema.js';
import { WardenError, errorMessage } from '../errors.js';
import {
  explainCall,
  formatExplanation,
  formatRuleCount,
  loadPolicyFiles,
  openRegexCheckCache,
} from '../policy/index.js';
import { createRedactor } from '../redact/index.js';
import type {
  CompiledPolicy,
  PolicyRuleSummary,
  PolicyVerdict,
  ToolAnnotationHints,
} from '../policy/index.js';

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

function warn(message: string): void {
  process.stderr.write(`warden: warning: ${message}\n`);
}

function parseJsonObject(text: string, option: string, example: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new WardenError(
      'USAGE',
      `${option} is not valid JSON (${errorMessage(cause)}); quote it for the shell, e.g. ${option} '${example}'`,
      { cause },
    );
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new WardenError('USAGE', `${option} must be a JSON object, e.g. ${option} '${example}'`);
  }
  return value as Record<string, unknown>;
}

/**
 * The file `warden serve` keeps the regexes it proved safe in: proving the shipped policies' patterns takes seconds,
 * which a command run by hand should pay once, not every time.
 */
function regexCacheOf(config: WardenConfig) {
  return openRegexCheckCache(`${config.database}.regex-cache.json`);
}

/** The MCP tool annotations explain accepts, and the type of each. */
const ANNOTATION_HINTS: Record<keyof ToolAnnotationHints, 'boolean' | 'string'> = {
  readOnlyHint: 'boolean',
  destructiveHint: 'boolean',
  idempotentHint: 'boolean',
  openWorldHint: 'boolean',
  title: 'string',
};
const ANNOTATIONS_EXAMPLE = '{"readOnlyHint":true}';

/**
 * `--annotations` as ToolAnnotationHints. Unknown or mistyped hints are refused: a misspelt `readonlyhint` or a
 * string `"true"` would otherwise be ignored silently and explain a verdict the real tool would not get.
 */
export function parseAnnotations(text: string): ToolAnnotationHints {
  const value = parseJsonObject(text, '--annotations', ANNOTATIONS_EXAMPLE);
  const known = Object.keys(ANNOTATION_HINTS);
  const problems: string[] = [];
  for (const [key, hint] of Object.entries(value)) {
    const type = Object.hasOwn(ANNOTATION_HINTS, key)
      ? ANNOTATION_HINTS[key as keyof ToolAnnotationHints]
      : undefined;
    if (type === undefined) {
      const close = known.find((name) => name.toLowerCase() === key.toLowerCase());
      problems.push(`unknown hint "${key}"${close ? ` (did you mean "${close}"?)` : ''}`);
    } else if (typeof hint !== type) {
      problems.push(
        `${key} must be ${type === 'boolean' ? 'true or false' : 'a string'}, got ${JSON.stringify(hint)}`,
      );
    }
  }
  if (problems.length > 0) {
    throw new WardenError(
      'USAGE',
      `--annotations: ${problems.join('; ')}; the known hints are readOnlyHint, destructiveHint, idempotentHint, ` +
        `openWorldHint (true or false) and title (a string), e.g. --annotations '${ANNOTATIONS_EXAMPLE}'`,
    );
  }
  return value as ToolAnnotationHints;
}

/**
 * Splits an exposed name `<server>__<tool>` by the configured server names, longest first, rather than at the first
 * `__`: server names may contain `_` (servers `fs` and `fs_` make `fs___x` ambiguous; it is `fs_`'s tool `x`).
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

/** What the reviewer check found: problems make `policy check` fail; a warning is printed and the check passes. */
export interface ReviewerFindings {
  problems: string[];
  warning?: string;
}

/** Why `warden serve` could never get this approval, or undefined when the reviewers resolve and reach the quorum. */
function approvalProblem(
  specs: readonly string[],
  quorum: number,
  config: WardenConfig,
  reviewers: ReadonlyMap<string, Reviewer>,
): string | undefined {
  const fromDefaults = specs.length === 0;
  const effective = fromDefaults ? config.approvals.defaultReviewers : specs;
  if (effective.length === 0) {
    return 'the rule names no reviewers and approvals.defaultReviewers in the config is empty; add reviewers: [user:<id>] or [group:<name>] to the rule, or set approvals.defaultReviewers';
  }
  const resolved = resolveReviewers({
    specs: effective,
    quorum,
    reviewers,
    groups: config.groups,
    requester: config.principal,
  });
  if (resolved.ok) return undefined;
  return fromDefaults ? `(from approvals.defaultReviewers) ${resolved.reason}` : resolved.reason;
}

/**
 * Checks, for every rule that asks for approval, that the config can ever approve it: its `user:` and `group:` specs
 * (or the config's `approvals.defaultReviewers` when it names none) exist, and enough different people other than
 * the principal remain to reach the quorum. `warden serve` fails such calls closed when they arrive; this finds
 * them before. With no reviewers configured at all approvals are off by design (every approval fails closed), which
 * is only a warning.
 */
export function checkRuleReviewers(policy: CompiledPolicy, config: WardenConfig): ReviewerFindings {
  const approving = policy.rules.filter((rule) => rule.action === 'approve');
  if (approving.length === 0) return { problems: [] };
  if (Object.keys(config.reviewers).length === 0) {
    const ids = approving.map((rule) => rule.id);
    const shown = ids.length > 5 ? `${ids.slice(0, 5).join(', ')}, …` : ids.join(', ');
    return {
      problems: [],
      warning: `no reviewers are configured, so warden serve fails closed every call that needs approval (${approving.length} rule${approving.length === 1 ? '' : 's'}: ${shown}); add reviewers: (and groups:) to the config`,
    };
  }
  const reviewers = new Map(reviewersFromConfig(config.reviewers).map((r) => [r.id, r]));
  const problems: string[] = [];
  for (const rule of approving) {
    const problem = approvalProblem(rule.reviewers, rule.quorum, config, reviewers);
    if (problem !== undefined)
      problems.push(`${ruleLocation(rule)}: rule "${rule.id}": reviewers: ${problem}`);
  }
  return { problems };
}

function ruleLocation(rule: PolicyRuleSummary): string {
  return `${rule.file}:${rule.line}:${rule.column}`;
}

/** For explain: why serve would fail this verdict's approval closed, or undefined. */
function verdictApprovalWarning(verdict: PolicyVerdict, config: WardenConfig): string | undefined {
  if (verdict.action !== 'approve') return undefined;
  if (Object.keys(config.reviewers).length === 0) {
    return 'this call needs approval and no reviewers are configured, so warden serve fails it closed';
  }
  const reviewers = new Map(reviewersFromConfig(config.reviewers).map((r) => [r.id, r]));
  const problem = approvalProblem(verdict.reviewers, verdict.quorum, config, reviewers);
  return problem === undefined
    ? undefined
    : `warden serve would fail this call closed: ${verdict.decidingRule}: reviewers: ${problem}`;
}

/** Loads a config for a command that starts no servers. */
function loadConfig(option: string | undefined): { config: WardenConfig; path: string } {
  return loadConfigFile(resolveConfigPath(option), process.env, { serversNeeded: false });
}

/** Registers `warden policy check` and `warden policy explain` on the program. */
export function registerPolicyCommands(program: Command): void {
  const policy = program.command('policy').description('validate risk policies and explain their verdicts');

  policy
    .command('check')
    .description(
      'validate policy files (by default, the ones the config lists); with a config, also the reviewers rules name',
    )
    .argument('[files...]', 'policy files to check together')
    .option(
      '-c, --config <path>',
      'config whose `policies:` to check when no files are given, and whose reviewers and groups the rules must name (default: $WARDEN_CONFIG or ./warden.yaml)',
    )
    .action((files: string[], options: CheckOptions) =>
      run(() => {
        // A config is read when named, or when it lists the files; given files alone are checked on their own.
        const loaded =
          files.length === 0 || options.config !== undefined ? loadConfig(options.config) : undefined;
        const regexCache = loaded ? regexCacheOf(loaded.config) : undefined;
        const compiled =
          files.length > 0
            ? loadPolicyFiles(files, {
                pathHint: 'check the path given on the command line',
                ...(regexCache ? { regexCache } : {}),
              })
            : loadPolicyFiles(loaded!.config.policies, {
                pathHint: `check the path under \`policies:\` in ${loaded!.path}`,
                ...(regexCache ? { regexCache } : {}),
              });
        if (loaded) {
          const findings = checkRuleReviewers(compiled, loaded.config);
          if (findings.problems.length > 0) {
            const count = findings.problems.length;
            throw new WardenError(
              'POLICY_INVALID',
              count === 1
                ? findings.problems[0]!
                : `${count} problems with the reviewers of policy rules (config ${loaded.path}):\n${findings.problems.map((p) => `  ${p}`).join('\n')}`,
            );
          }
          if (findings.warning) warn(findings.warning);
        }
        const counted = formatRuleCount(compiled.ruleCount, compiled.files.length);
        process.stdout.write(`ok: ${counted} (version ${compiled.version.slice(0, 8)})\n`);
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
    .option(
      '--annotations <json>',
      `tool annotations as JSON, e.g. '${ANNOTATIONS_EXAMPLE}' (readOnlyHint, destructiveHint, idempotentHint, openWorldHint, title)`,
    )
    .option('--json', 'print the explanation as JSON')
    .option('-c, --config <path>', 'config file (default: $WARDEN_CONFIG or ./warden.yaml)')
    .action((options: ExplainOptions) =>
      run(() => {
        const args = parseJsonObject(options.args, '--args', '{"path":"/tmp/x"}');
        const annotations =
          options.annotations === undefined ? undefined : parseAnnotations(options.annotations);
        const { config, path: configPath } = loadConfig(options.config);
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
        const compiled = loadPolicyFiles(config.policies, {
          pathHint: `check the path under \`policies:\` in ${configPath}`,
          regexCache: regexCacheOf(config),
        });
        // The why lines show arguments as `warden serve` records them: through the same redactor.
        const explanation = explainCall(compiled, {
          ...target,
          args,
          redactedArgs: createRedactor(compiled.redaction)(args),
          ...(annotations ? { annotations } : {}),
        });
        const warning = verdictApprovalWarning({ ...explanation.verdict, matches: [] }, config);
        if (warning) warn(warning);
        process.stdout.write(
          options.json ? `${JSON.stringify(explanation, null, 2)}\n` : `${formatExplanation(explanation)}\n`,
        );
      }),
    );
}
