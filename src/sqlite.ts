// Opening the shared SQLite file the same way everywhere: its folder created, WAL so several processes (gateways,
// the review service, the CLI) read while one writes, a busy timeout instead of instant SQLITE_BUSY, foreign keys on.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
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
    let db = new Database(file, { readonly, fileMustExist: readonly, timeout: busyTimeoutMs });
    if (readonly && !canRead(db)) {
      db.close();
      db = openSnapshot(file, busyTimeoutMs);
    }
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
    if (!readonly) db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    return db;
  } catch (error) {
    if (existsSync(file) && statSync(file).isDirectory()) {
      throw new WardenError(
        failure.code,
        `cannot open ${failure.what} ${file}: it is a folder, not a database file`,
        {
          cause: error,
        },
      );
    }
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

/**
 * Whether a read-only connection can read: a WAL database needs its `-shm` file, which a reader cannot create in a
 * folder it may not write (an auditor's read-only copy, another user's folder).
 */
function canRead(db: Database.Database): boolean {
  try {
    db.pragma('user_version', { simple: true });
    return true;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (
      code === 'SQLITE_READONLY_DIRECTORY' ||
      code === 'SQLITE_READONLY_CANTINIT' ||
      code === 'SQLITE_CANTOPEN'
    ) {
      return false;
    }
    throw error;
  }
}

/**
 * Reads such a database from a private copy of the file and its `-wal`, made where this process may write and removed
 * on close. The copy is made again while a writer changes either file under it (a commit or a checkpoint), so the
 * two copies are of one moment.
 */
function openSnapshot(file: string, busyTimeoutMs: number): Database.Database {
  const wal = `${file}-wal`;
  const fingerprint = () =>
    [file, wal]
      .map((f) => statSync(f, { throwIfNoEntry: false }))
      .map((stat) => (stat ? `${stat.size}:${stat.mtimeMs}` : '-'))
      .join('|');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'warden-read-'));
  const copy = path.join(dir, path.basename(file));
  try {
    for (let attempt = 1; ; attempt++) {
      const before = fingerprint();
      rmSync(`${copy}-wal`, { force: true });
      if (existsSync(wal)) copyFileSync(wal, `${copy}-wal`);
      copyFileSync(file, copy);
      if (fingerprint() === before) break;
      if (attempt === 5) throw new Error('the file kept changing while it was copied for reading; try again');
    }
    const db = new Database(copy, { readonly: true, fileMustExist: true, timeout: busyTimeoutMs });
    const close = db.close.bind(db);
    db.close = () => {
      close();
      rmSync(dir, { recursive: true, force: true });
      return db;
    };
    return db;
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
