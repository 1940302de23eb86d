#!/usr/bin/env node
// Entry point of the `warden` binary: runs the command tree and turns errors into a message and an exit code.
import { CommanderError } from 'commander';
import { WardenError, errorMessage } from '../errors.js';
import { createProgram } from './program.js';

/**
 * `warden audit list | head`: the reader leaves, and writes fail with EPIPE. That ends a printing command quietly, as
 * in other command-line tools. `warden serve` handles its own stdout (an MCP client that goes away), and is left to it.
 */
function stopWhenStdoutCloses(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (process.stdout.listenerCount('error') > 1) return;
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    process.stderr.write(`warden: cannot write to stdout: ${error.message}\n`);
    process.exit(1);
  });
}

async function main(): Promise<void> {
  stopWhenStdoutCloses();
  try {
    await createProgram().parseAsync(process.argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode;
      return;
    }
    process.stderr.write(`warden: ${error instanceof WardenError ? error.message : errorMessage(error)}\n`);
    process.exitCode = 1;
  }
}

await main();
