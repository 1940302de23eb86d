// What one durable audit commit costs on this machine, measured in the bench's own run. At concurrency 1 every
// Warden call waits for one (the intent must be in SQLite before the call runs; the previous call's outcome rides
// along), and no pass-through pays it: this number is the floor under Warden's c=1 latency that forwarding, however
// fast, cannot remove.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

/**
 * Appends `commits` batches of one intent and one outcome (the shapes the gateway writes for the bench's echo call)
 * to a fresh audit log through Warden's own store, after a warm-up; returns the median µs per commit of 5 slices.
 * @param {string} distDir  Warden's built dist folder.
 * @param {number} commits
 * @returns {Promise<number>}
 */
export async function measureAuditCommitUs(distDir, commits = 2000) {
  const { openAuditStore } = await import(join(distDir, 'audit', 'index.js'));
  const dir = mkdtempSync(join(tmpdir(), 'warden-bench-audit-'));
  const store = openAuditStore(join(dir, 'audit.db'));
  try {
    let n = 0;
    const batch = () => {
      n += 1;
      return [
        {
          type: 'call.outcome',
          requestId: `r${n - 1}`,
          sessionId: 'bench',
          data: { durationMs: 0.1, excerpt: `bench-${n - 1}`, isError: false, resultBytes: 49, status: 'ok' },
        },
        {
          type: 'call.intent',
          requestId: `r${n}`,
          sessionId: 'bench',
          data: {
            action: 'allow',
            agent: { name: 'warden-bench', version: '1.0.0' },
            args: { text: `bench-${n}` },
            argsBytes: 21,
            argsHash: 'e'.repeat(64),
            exposedName: 'fx__echo',
            policyVersion: 'a'.repeat(64),
            principal: { id: 'bench@example.com' },
            reason: 'rule bench-echo: risk low',
            risk: 'low',
            rules: [
              {
                action: 'allow',
                file: '/bench/bench-policy.yaml',
                line: 2,
                risk: 'low',
                ruleId: 'bench-echo',
                why: ['server "fx" matches "fx"', 'tool "echo" matches "echo"'],
              },
            ],
            server: 'fx',
            tool: 'echo',
          },
        },
      ];
    };
    for (let i = 0; i < 300; i += 1) store.appendBatch(batch());
    const slices = [];
    const perSlice = Math.max(1, Math.floor(commits / 5));
    for (let slice = 0; slice < 5; slice += 1) {
      const started = performance.now();
      for (let i = 0; i < perSlice; i += 1) store.appendBatch(batch());
      slices.push(((performance.now() - started) * 1000) / perSlice);
    }
    slices.sort((a, b) => a - b);
    return slices[2] ?? Number.NaN;
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
