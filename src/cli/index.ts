#!/usr/bin/env node
// Entry point of the `warden` binary: runs the command tree and turns errors into a message and an exit code.
import { CommanderError } from 'commander';
import { WardenError, errorMessage } from '../errors.js';
import { createProgram } from './program.js';

async function main(): Promise<void> {
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
