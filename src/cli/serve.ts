// `warden serve`: the gateway over stdio. stdout carries MCP and nothing else; diagnostics go to stderr.
import type { Command } from 'commander';
import { nanoid } from 'nanoid';
import { loadConfigFile, resolveConfigPath } from '../config/load.js';
import { formatRuleCount, loadPolicyFiles, openRegexCheckCache, watchPolicyFiles } from '../policy/index.js';
import { openAuditStore } from '../audit/index.js';
import { Gateway } from '../gateway/gateway.js';
import { StdioServerTransport } from '../gateway/wire/stdio-server.js';
import { AuditWriter } from '../gateway/audit-writer.js';
import { startApprovals } from './serve-approvals.js';
import type { PolicyRef } from '../gateway/pipeline.js';
import type { CompiledPolicy } from '../policy/index.js';
import { createLogger, type LogLevel } from '../log.js';
import { logLevelOption } from './log-level-option.js';
import { checkRuleReviewers } from './policy.js';
import { errorMessage } from '../errors.js';
import { WARDEN_VERSION } from '../version.js';

/** The smallest line limit on stdin, whatever gateway.maxArgumentBytes says. */
const MIN_LINE_BYTES = 16 * 1024 * 1024;

export interface ServeOptions {
  config?: string;
  logLevel?: LogLevel;
}

/** Runs the gateway until stdin closes or a signal arrives. */
export async function runServe(options: ServeOptions): Promise<void> {
  const { config, path: configPath } = loadConfigFile(resolveConfigPath(options.config));
  const logger = createLogger(options.logLevel ?? config.logLevel);
  // Proven-safe regexes are remembered beside the database, so a new session does not re-prove unchanged patterns.
  const regexCache = openRegexCheckCache(`${config.database}.regex-cache.json`, logger);
  const policy: PolicyRef = { current: loadPolicyFiles(config.policies, { regexCache }) };
  const store = openAuditStore(config.database, { synchronous: config.audit.synchronous });
  const audit = new AuditWriter(store, logger);
  const sessionId = nanoid();
  const append = (type: string, data: Record<string, unknown>) => audit.append({ type, sessionId, data });

  append('gateway.started', {
    pid: process.pid,
    version: WARDEN_VERSION,
    principal: config.principal,
    configPath,
    policyVersion: policy.current.version,
    servers: Object.keys(config.servers),
  });
  append('policy.loaded', {
    version: policy.current.version,
    files: policy.current.files,
    ruleCount: policy.current.ruleCount,
  });
  // Rules whose approvals can never come (an unknown group, a quorum nobody can reach) fail closed on every call: say
  // so now rather than when the first call arrives.
  const warnUnapprovable = (compiled: CompiledPolicy) => {
    const findings = checkRuleReviewers(compiled, config);
    for (const problem of findings.problems) logger.warn(`${problem}; calls it matches fail closed`);
    if (findings.warning) logger.warn(findings.warning);
  };
  warnUnapprovable(policy.current);

  const watcher = watchPolicyFiles(config.policies, {
    regexCache,
    initialVersion: policy.current.version,
    onReload: (next) => {
      policy.current = next;
      warnUnapprovable(next);
      logger.info(
        `policy reloaded (version ${next.version.slice(0, 12)}, ${formatRuleCount(next.ruleCount, config.policies.length)})`,
      );
      append('policy.loaded', {
        version: next.version,
        files: next.files,
        ruleCount: next.ruleCount,
        reload: true,
      });
    },
    onError: (error) => {
      logger.error(
        `policy reload failed, keeping the last good policy (${policy.current.version.slice(0, 12)}): ${errorMessage(error)}`,
      );
      append('policy.reload_failed', {
        files: config.policies,
        error: errorMessage(error),
        keptVersion: policy.current.version,
      });
    },
  });

  const approvals = await startApprovals({ config, audit: store, sessionId, logger });
  const gateway = new Gateway({
    config,
    policy,
    audit,
    logger,
    sessionId,
    version: WARDEN_VERSION,
    ...(approvals.gate ? { approvals: approvals.gate } : {}),
  });
  const started = gateway.startDownstreams();
  const transport = new StdioServerTransport({
    // Room for the largest arguments Warden accepts (which it then rejects with a clear error above the limit).
    maxLineBytes: Math.max(MIN_LINE_BYTES, 4 * config.gateway.maxArgumentBytes),
    onOversized: (bytes, requestId) =>
      append('message.rejected', {
        reason: `a message of ${bytes} bytes on stdin was over the line limit and was dropped`,
        bytes,
        ...(requestId !== undefined ? { jsonrpcId: requestId } : {}),
      }),
  });

  let stopping = false;
  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`stopping (${why})`);
    watcher.close();
    await approvals.close();
    await gateway.close();
    append('gateway.stopped', { pid: process.pid, reason: why });
    audit.close();
    store.close();
  };
  transport.onclose = () => void stop('client disconnected');
  process.stdin.on('end', () => void stop('stdin closed'));
  process.on('SIGINT', () => void stop('SIGINT').then(() => process.exit(130)));
  process.on('SIGTERM', () => void stop('SIGTERM').then(() => process.exit(143)));

  await gateway.connect(transport);
  await started;
  if (stopping) return;
  const connections = [...gateway.connections.values()];
  const down = connections.filter((c) => c.state !== 'ready').map((c) => c.name);
  const tools = gateway.toolNames().length;
  logger.info(
    `serving ${plural(tools, 'tool')} from ${connections.length - down.length} of ${plural(connections.length, 'server')}` +
      `${down.length > 0 ? ` (not running: ${down.join(', ')})` : ''} (config ${configPath})`,
  );
}

const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the gateway: an MCP server over stdio in front of the configured servers')
    .option('-c, --config <path>', 'config file (default: $WARDEN_CONFIG or ./warden.yaml)')
    .addOption(logLevelOption())
    .action(async (opts: ServeOptions) => {
      await runServe(opts);
    });
}
