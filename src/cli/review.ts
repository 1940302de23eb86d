// `warden review`: the long-running review service (approval channels and the reviewers' HTTP API) until SIGINT or
// SIGTERM; `warden review token --reviewer ID`: a new reviewer API token and the hash to put in the config.
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { hashToken, REVIEWER_ID_PATTERN } from '../approvals/identity.js';
import { startReviewService } from '../approvals/review-service.js';
import { loadConfigFile, resolveConfigPath } from '../config/load.js';
import { WardenError } from '../errors.js';
import { createLogger, type LogLevel } from '../log.js';
import { logLevelOption } from './log-level-option.js';

/** Where the review commands write, and what stops the service. Defaults to the process; tests pass their own. */
export interface ReviewCliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  /** Resolves (with why) when the service should stop. Default: the first SIGINT or SIGTERM. */
  waitForStop?: () => Promise<string>;
}

interface ReviewOptions {
  config?: string;
  host?: string;
  port?: string;
  logLevel?: LogLevel;
}

/** Bytes of randomness in a reviewer token (256 bits: not guessable, so a plain hash is enough to store it). */
const TOKEN_BYTES = 32;

function waitForSignal(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

function parsePort(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65_535) {
    throw new WardenError('USAGE', `--port: expected a whole number from 0 to 65535, got "${text}"`);
  }
  return port;
}

/** Runs the review service until `io.waitForStop` resolves, then stops it cleanly. */
export async function runReview(options: ReviewOptions, io: ReviewCliIo): Promise<void> {
  const port = parsePort(options.port);
  const { config, path: configPath } = loadConfigFile(resolveConfigPath(options.config), process.env, {
    serversNeeded: false,
  });
  const logger = createLogger(options.logLevel ?? config.logLevel, io.stderr);
  const stopped = (io.waitForStop ?? waitForSignal)();
  const service = await startReviewService({
    config,
    logger,
    ...(options.host === undefined ? {} : { host: options.host }),
    ...(port === undefined ? {} : { port }),
  });
  const bot = service.channels.some((c) => c.name === 'teams')
    ? `; Teams bot ${service.url}/api/messages`
    : '';
  io.stderr.write(
    `warden review: listening on ${service.url} (reviewers' API ${service.url}/api/requests${bot}; channels ${service.channels.map((c) => c.name).join(', ')}; config ${configPath}; database ${config.database})\n`,
  );
  const why = await stopped;
  io.stderr.write(`warden review: stopping (${why})\n`);
  await service.close();
}

/** Prints a new reviewer token and its `tokenHash` line. The token is shown once and stored nowhere. */
export function printNewToken(reviewerId: string, io: Pick<ReviewCliIo, 'stdout' | 'stderr'>): void {
  if (!REVIEWER_ID_PATTERN.test(reviewerId)) {
    throw new WardenError(
      'USAGE',
      `--reviewer: "${reviewerId}" is not a reviewer id; ids are 1-64 letters, digits, _ . @ or - (the key under reviewers: in the config)`,
    );
  }
  const token = randomBytes(TOKEN_BYTES).toString('base64url');
  io.stdout.write(`token: ${token}\ntokenHash: ${hashToken(token)}\n`);
  io.stderr.write(
    `give the token to ${reviewerId} (it is shown only now; Warden keeps only its hash), paste the tokenHash line under reviewers.${reviewerId} in the config, and restart \`warden review\`.\n` +
      `${reviewerId} then calls the API with "Authorization: Bearer <token>".\n`,
  );
}

/** Registers `warden review` and `warden review token` on the program. */
export function registerReviewCommands(
  program: Command,
  io: ReviewCliIo = { stdout: process.stdout, stderr: process.stderr },
): void {
  const review = program
    .command('review')
    .description(
      "run the review service: approval channels and the reviewers' HTTP API, until SIGINT/SIGTERM",
    )
    .option('-c, --config <path>', 'config file (default: $WARDEN_CONFIG or ./warden.yaml)')
    .option('--host <host>', 'address to listen on (default: review.host in the config)')
    .option('--port <port>', 'port to listen on, 0 for any free port (default: review.port in the config)')
    .addOption(logLevelOption())
    .action((options: ReviewOptions) => runReview(options, io));

  review
    .command('token')
    .description(
      'make a new reviewer API token: prints the token (for the reviewer) and its hash (for the config)',
    )
    .requiredOption('--reviewer <id>', 'the reviewer id (the key under reviewers: in the config)')
    .action((options: { reviewer: string }) => printNewToken(options.reviewer, io));
}
