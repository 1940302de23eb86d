// What the read-side commands (audit, requests, teams) share: where the database is, and how to print values that
// came from an agent without letting them move the terminal's cursor or flip text direction.
import path from 'node:path';
import type { Command } from 'commander';
import { loadConfigFile, resolveConfigPath } from '../config/load.js';

export interface DatabaseOptions {
  db?: string;
  config?: string;
}

/** Adds `--db` and `--config` to a command. */
export function withDatabaseOptions(command: Command): Command {
  return command
    .option('--db <file>', 'the Warden database (default: `database` from the config)')
    .option(
      '-c, --config <file>',
      'warden.yaml to read the database path from (default: $WARDEN_CONFIG, ./warden.yaml)',
    );
}

/** `--db`, else the config's `database`. */
export function databasePath(options: DatabaseOptions): string {
  if (options.db !== undefined) return path.resolve(options.db);
  return loadConfigFile(resolveConfigPath(options.config), process.env, { serversNeeded: false }).config
    .database;
}

/** C0/C1 controls, line and paragraph separators, bidirectional overrides. */
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** Security: agent-supplied text is shown escaped, so it cannot forge lines or reorder what the operator reads. */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Columns padded to their widest cell, two spaces apart (cells must already be printable). */
export function formatTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  return [header, ...rows]
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
