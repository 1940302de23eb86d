// Opening the shared SQLite file the same way everywhere: its folder created, WAL so several processes (gateways,
// the review service, the CLI) read while one writes, a busy timeout instead of instant SQLITE_BUSY, foreign keys on.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

/** Opens `file` (read-only: it must exist). Throws what better-sqlite3 throws; callers word the error. */
export function openSqliteFile(file: string, readonly: boolean, busyTimeoutMs: number): Database.Database {
  if (!readonly && file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file, { readonly, fileMustExist: readonly, timeout: busyTimeoutMs });
  db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
  if (!readonly) db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  return db;
}
