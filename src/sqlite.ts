// Opening the shared SQLite file the same way everywhere: its folder created, WAL so several processes (gateways,
// the review service, the CLI) read while one writes, a busy timeout instead of instant SQLITE_BUSY, foreign keys on.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { WardenError, errorMessage, type WardenErrorCode } from './errors.js';

/** How a store names itself when the file cannot be opened: its error code and what the file is to it. */
export interface OpenFailure {
  code: WardenErrorCode;
  /** "audit log", "approvals database": the file as the message names it. */
  what: string;
}

/**
 * Opens `file` (read-only: it must exist). Throws a WardenError with `failure.code` that says what could not be
 * opened and what to check.
 */
export function openSqliteFile(
  file: string,
  readonly: boolean,
  busyTimeoutMs: number,
  failure: OpenFailure,
): Database.Database {
  try {
    if (!readonly && file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
    const db = new Database(file, { readonly, fileMustExist: readonly, timeout: busyTimeoutMs });
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
    if (!readonly) db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    return db;
  } catch (error) {
    const hint = readonly
      ? 'it is created by `warden serve` on first use; check --db or `database` in the config'
      : `check that the folder is writable and the file is a Warden ${failure.what}`;
    throw new WardenError(
      failure.code,
      `cannot open ${failure.what} ${file}: ${errorMessage(error)}; ${hint}`,
      {
        cause: error,
      },
    );
  }
}
