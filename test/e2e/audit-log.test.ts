// The gateway's audit log under load, through the real `warden serve`: every call recorded and the chain intact,
// while the write-ahead log stays bounded (nothing keeps SQLite's checkpoints from catching up and reusing it).
import { chmodSync, copyFileSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openAuditStore } from '../../src/audit/index.js';
import { spawn, spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import {
  FIXTURE_SERVER,
  WARDEN_CLI,
  readEvents,
  startWarden,
  tempDir,
  textOf,
  type WardenHarness,
} from './harness.js';

let warden: WardenHarness | undefined;
afterEach(async () => {
  await warden?.close();
  warden = undefined;
});

/** Bytes of the WAL beside the database (0 when there is none). */
function walBytes(dbPath: string): number {
  try {
    return statSync(`${dbPath}-wal`).size;
  } catch {
    return 0;
  }
}

describe('the audit log under load', () => {
  it('records every call, keeps the chain intact, and checkpoints so the WAL stays bounded', async () => {
    warden = await startWarden({ servers: { fx: { command: process.execPath, args: [FIXTURE_SERVER] } } });
    const calls = 2_000;
    let next = 0;
    let largestWal = 0;
    const worker = async () => {
      while (next < calls) {
        const n = next++;
        const result = await warden!.client.callTool({ name: 'fx__echo', arguments: { text: `call-${n}` } });
        expect(textOf(result)).toBe(`call-${n}`);
        if (n % 100 === 0) largestWal = Math.max(largestWal, walBytes(warden!.dbPath));
      }
    };
    await Promise.all(Array.from({ length: 4 }, worker));

    // Each commit adds about 16 KB of WAL (~24 MB for these calls if nothing were checkpointed); checkpoints let SQLite
    // reuse it from the start.
    expect(largestWal).toBeGreaterThan(0);
    expect(largestWal).toBeLessThan(12 * 1024 * 1024);
    const dbPath = warden.dbPath;
    await warden.close();
    warden = undefined;
    const events = readEvents(dbPath);
    expect(events.filter((e) => e.type === 'call.intent')).toHaveLength(calls);
    expect(events.filter((e) => e.type === 'call.outcome')).toHaveLength(calls);
    const verify = spawnSync(process.execPath, [WARDEN_CLI, 'audit', 'verify', '--db', dbPath], {
      encoding: 'utf8',
    });
    expect(verify.status, verify.stdout + verify.stderr).toBe(0);
  });
});

describe('reading the log without write access to its folder', () => {
  /** Runs the CLI as a user who cannot write `dir` (as "nobody" when the tests run as root, whom modes do not stop). */
  function wardenAsReader(args: string[]) {
    const asRoot = process.getuid?.() === 0;
    return spawnSync(process.execPath, [WARDEN_CLI, ...args], {
      encoding: 'utf8',
      ...(asRoot ? { uid: 65534, gid: 65534 } : {}),
    });
  }

  it('verifies and lists a log in a read-only folder, with or without commits left in a -wal, creating nothing', () => {
    const top = tempDir();
    chmodSync(top, 0o755);
    const closed = path.join(top, 'closed');
    const copied = path.join(top, 'copied');
    mkdirSync(closed);
    mkdirSync(copied);
    const dbPath = path.join(closed, 'warden.db');
    const store = openAuditStore(dbPath);
    store.append({ type: 'gateway.started', sessionId: 's', data: { pid: 1 } });
    // While another connection is open, commits stay in the -wal: copy both files, as a backup would.
    const other = new Database(dbPath);
    other.pragma('user_version', { simple: true });
    store.append({
      type: 'call.rejected',
      requestId: 'req-late',
      sessionId: 's',
      data: { exposedName: 'x__y', reason: 'r' },
    });
    copyFileSync(dbPath, path.join(copied, 'warden.db'));
    copyFileSync(`${dbPath}-wal`, path.join(copied, 'warden.db-wal'));
    store.close();
    other.close();
    try {
      for (const dir of [closed, copied]) {
        const before = readdirSync(dir).sort();
        chmodSync(dir, 0o555);
        const file = path.join(dir, 'warden.db');
        const verify = wardenAsReader(['audit', 'verify', '--db', file]);
        expect(verify.stderr).toBe('');
        expect(verify.stdout).toMatch(/^ok: 2 events, chain intact/);
        expect(verify.status).toBe(0);
        const list = wardenAsReader(['audit', 'list', '--db', file, '--json']);
        expect(list.stdout).toContain('"requestId":"req-late"');
        expect(readdirSync(dir).sort()).toEqual(before);
      }
    } finally {
      chmodSync(closed, 0o755);
      chmodSync(copied, 0o755);
    }
  });
});

describe('printing to a reader that stops early', () => {
  it('ends `audit export | head -1` quietly with exit code 0', async () => {
    const dbPath = path.join(tempDir(), 'warden.db');
    const store = openAuditStore(dbPath);
    store.appendMany(
      Array.from({ length: 3000 }, (_, i) => ({ type: 'gateway.started', sessionId: 's', data: { n: i } })),
    );
    store.close();
    const child = spawn(process.execPath, [WARDEN_CLI, 'audit', 'export', '--db', dbPath], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await new Promise((resolve) => child.stdout.once('data', resolve));
    child.stdout.destroy();
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});
