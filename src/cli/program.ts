// The `warden` command tree. Only src/cli reads argv, env and the process; everything else takes them as arguments.
import { Command } from 'commander';
import { WARDEN_VERSION } from '../version.js';
import { registerServeCommand } from './serve.js';
import { registerDemoCommand } from './demo.js';
import { registerInitCommand } from './init.js';
import { registerPolicyCommands } from './policy.js';
import { registerAuditCommands } from './audit.js';
import { registerReviewCommands } from './review.js';
import { registerRequestsCommands } from './requests.js';
import { registerTeamsCommands } from './teams.js';

/** Builds the command tree (exported so tests can run commands in-process). */
export function createProgram(): Command {
  const program = new Command('warden')
    .description('Human-approval gateway for AI agents: MCP proxy, risk policy, tamper-evident audit log')
    .version(WARDEN_VERSION)
    .showHelpAfterError();
  registerServeCommand(program);
  registerDemoCommand(program);
  registerInitCommand(program);
  registerPolicyCommands(program);
  registerAuditCommands(program);
  registerReviewCommands(program);
  registerRequestsCommands(program);
  registerTeamsCommands(program);
  return program;
}
