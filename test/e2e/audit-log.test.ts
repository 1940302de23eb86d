// The gateway's audit log under load, through the real `warden serve`: every call recorded and the chain intact,
// while the write-ahead log stays bounded (nothing keeps SQLite's checkpoints from catching up and reusing it).
import { statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import {
  FIXTURE_SERVER,
  WARDEN_CLI,
  readEvents,
  startWarden,
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
