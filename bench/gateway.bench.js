// `npm run bench`: the allow-path cost of Warden, against a direct connection and a minimal SDK pass-through proxy,
// all three calling the same downstream tool (the fixture server's `echo`).
//
// Env: BENCH_CALLS   calls at concurrency 1 (default 2000); concurrency 16 runs twice as many. "N,M" sets both.
//      BENCH_WARMUP  warm-up calls before each measured run (default 300)
//      BENCH_ROUNDS  rounds (default 5); each target reports its median-throughput round per concurrency
//      BENCH_START_TIMEOUT_MS  how long a target may take to start and list its tools (default 20000)
//      BENCH_WARDEN_CLI  another Warden CLI to measure instead of dist/cli/index.js
// Prints a table, the ratios, "target met: …" or "target missed: …", and writes the numbers as JSON to os.tmpdir().
// Always exits 0: a missing or broken `warden serve` is reported and skipped, not fatal.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import process from 'node:process';
import { URL, fileURLToPath } from 'node:url';
import { connectTarget, readCpuMs, readPeakRssMb, runLoad } from './measure.mjs';
import { measureAuditCommitUs } from './audit-commit.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURE = join(ROOT, 'test', 'fixtures', 'fixture-server.mjs');
const PASSTHROUGH = join(ROOT, 'bench', 'passthrough-proxy.mjs');
const WARDEN_CLI = resolve(process.env.BENCH_WARDEN_CLI ?? join(ROOT, 'dist', 'cli', 'index.js'));
const CONCURRENCIES = [1, 16];

/** @param {string} line */
const print = (line = '') => process.stdout.write(line + '\n');

/** @returns {{ c1: number, c16: number, warmup: number, rounds: number, startTimeoutMs: number }} */
function readSettings() {
  const [first, second] = (process.env.BENCH_CALLS ?? '2000').split(',').map((part) => Number(part.trim()));
  const positive = (/** @type {number | undefined} */ value, /** @type {string} */ name) => {
    if (value === undefined || !Number.isInteger(value) || value <= 0) {
      throw new Error(`${name} must be a positive whole number, got ${value}`);
    }
    return value;
  };
  const c1 = positive(first, 'BENCH_CALLS');
  return {
    c1,
    c16: second === undefined ? c1 * 2 : positive(second, 'BENCH_CALLS (second number)'),
    warmup: Number(process.env.BENCH_WARMUP ?? 300),
    rounds: positive(Number(process.env.BENCH_ROUNDS ?? 5), 'BENCH_ROUNDS'),
    startTimeoutMs: Number(process.env.BENCH_START_TIMEOUT_MS ?? 20_000),
  };
}

/** Writes the temp warden.yaml and policy; returns the config path. @param {string} dir */
function writeWardenConfig(dir) {
  const policy = join(dir, 'bench-policy.yaml');
  writeFileSync(
    policy,
    [
      'rules:',
      '  - id: bench-echo',
      '    match: { server: fx, tool: echo }',
      '    risk: low',
      '    action: allow',
      '',
    ].join('\n'),
  );
  const config = join(dir, 'warden.yaml');
  writeFileSync(
    config,
    [
      'principal: bench@example.com',
      `database: ${JSON.stringify(join(dir, 'warden.db'))}`,
      `policies: [${JSON.stringify(policy)}]`,
      'servers:',
      '  fx:',
      '    command: node',
      `    args: [${JSON.stringify(FIXTURE)}]`,
      '',
    ].join('\n'),
  );
  return config;
}

/** @param {number} value @param {number} digits */
const fixed = (value, digits) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');

/** @param {string[][]} rows */
function printTable(rows) {
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  rows.forEach((row, index) => {
    print(row.map((cell, column) => cell.padStart(widths[column] ?? 0)).join('  '));
    if (index === 0) print(widths.map((width) => '-'.repeat(width)).join('  '));
  });
}

async function main() {
  let settings;
  try {
    settings = readSettings();
  } catch (error) {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  }
  const workDir = mkdtempSync(join(tmpdir(), 'warden-bench-'));
  const node = process.execPath;
  /** @type {import('./measure.mjs').Target[]} */
  const targets = [
    { label: 'direct', command: node, args: [FIXTURE], tool: 'echo' },
    { label: 'pass-through', command: node, args: [PASSTHROUGH, node, FIXTURE], tool: 'echo' },
    {
      label: 'warden',
      command: node,
      args: [WARDEN_CLI, 'serve', '--config', writeWardenConfig(workDir)],
      cwd: workDir,
      tool: 'fx__echo',
    },
  ];

  print(
    `Warden gateway bench: node ${process.version}, ${cpus().length} CPU (${cpus()[0]?.model ?? 'unknown'})`,
  );
  print(
    `calls: ${settings.c1} at c=1, ${settings.c16} at c=16, warm-up ${settings.warmup} per run, ` +
      `${settings.rounds} rounds (median reported); load average ${loadavg()
        .map((load) => load.toFixed(2))
        .join(' ')}`,
  );
  print();

  /** @type {Map<string, Awaited<ReturnType<typeof connectTarget>>>} */
  const connected = new Map();
  /** @type {Record<string, string>} */
  const skipped = {};
  for (const target of targets) {
    if (target.label === 'warden' && !existsSync(WARDEN_CLI)) {
      skipped.warden = `${WARDEN_CLI} does not exist (run npm run build; the gateway may not be written yet)`;
      continue;
    }
    try {
      connected.set(target.label, await connectTarget(target, settings.startTimeoutMs));
    } catch (error) {
      skipped[target.label] = error instanceof Error ? error.message : String(error);
    }
  }
  for (const [label, reason] of Object.entries(skipped)) print(`skipped ${label}: ${reason}`);
  if (Object.keys(skipped).length > 0) print();

  /** @type {Record<string, { startupMs: number, peakRssMb: number | null, runs: Record<string, import('./measure.mjs').RunStats>, rounds?: Record<string, import('./measure.mjs').RunStats[]> }>} */
  const results = {};
  for (const [label, { startupMs }] of connected) results[label] = { startupMs, peakRssMb: null, runs: {} };
  // Interleave targets, rotating their order each round, so drift on the machine affects all three alike; each
  // target's reported run is its median-throughput round.
  /** @type {Record<string, Record<string, import('./measure.mjs').RunStats[]>>} */
  const rounds = {};
  for (let round = 0; round < settings.rounds; round++) {
    const order = [...targets.slice(round % targets.length), ...targets.slice(0, round % targets.length)];
    for (const concurrency of CONCURRENCIES) {
      const calls = concurrency === 1 ? settings.c1 : settings.c16;
      for (const target of order) {
        const entry = connected.get(target.label);
        if (!entry) continue;
        if (settings.warmup > 0) await runLoad(entry.client, target.tool, settings.warmup, concurrency);
        const cpuBefore = readCpuMs(entry.pid);
        const stats = await runLoad(entry.client, target.tool, calls, concurrency);
        const cpuAfter = readCpuMs(entry.pid);
        stats.cpuUsPerCall =
          cpuBefore === null || cpuAfter === null || stats.calls === 0
            ? null
            : ((cpuAfter - cpuBefore) * 1000) / stats.calls;
        ((rounds[target.label] ??= {})[`c${concurrency}`] ??= []).push(stats);
        if (stats.errors > 0) {
          print(
            `warning: ${target.label} c=${concurrency}: ${stats.errors} calls failed, first: ${stats.firstError}`,
          );
        }
      }
    }
  }
  for (const [label, byKey] of Object.entries(rounds)) {
    const result = results[label];
    if (!result) continue;
    for (const [key, runs] of Object.entries(byKey)) {
      const sorted = [...runs].sort((a, b) => a.callsPerSecond - b.callsPerSecond);
      const median = sorted[Math.floor((sorted.length - 1) / 2)];
      if (median) result.runs[key] = median;
    }
    result.rounds = byKey;
  }
  for (const [label, entry] of connected) {
    const result = results[label];
    if (result) result.peakRssMb = readPeakRssMb(entry.pid);
    await entry.client.close().catch(() => {});
  }

  const header = [
    'target',
    'conc',
    'calls',
    'calls/s',
    'p50 ms',
    'p99 ms',
    'cpu µs/call',
    'errors',
    'startup ms',
    'peak RSS MB',
  ];
  const rows = [header];
  for (const [label, result] of Object.entries(results)) {
    for (const stats of Object.values(result.runs)) {
      rows.push([
        label,
        String(stats.concurrency),
        String(stats.calls),
        fixed(stats.callsPerSecond, 0),
        fixed(stats.p50Ms, 3),
        fixed(stats.p99Ms, 3),
        stats.cpuUsPerCall == null ? 'n/a' : fixed(stats.cpuUsPerCall, 0),
        String(stats.errors),
        fixed(result.startupMs, 0),
        result.peakRssMb === null ? 'n/a' : fixed(result.peakRssMb, 1),
      ]);
    }
  }
  printTable(rows);
  print(
    '(cpu and peak RSS are of the process the client spawned: the fixture for "direct", the proxy otherwise;' +
      ' cpu is user + system time of all its threads per call, steadier than calls/s on a shared machine)',
  );
  print();

  /** @type {Record<string, Record<string, { throughput: number, p50: number, p99: number }>>} */
  const ratios = {};
  const warden = results.warden;
  for (const baseline of ['direct', 'pass-through']) {
    const base = results[baseline];
    if (!warden || !base) continue;
    ratios[`warden/${baseline}`] = {};
    for (const key of Object.keys(warden.runs)) {
      const w = warden.runs[key];
      const b = base.runs[key];
      if (!w || !b) continue;
      ratios[`warden/${baseline}`][key] = {
        throughput: w.callsPerSecond / b.callsPerSecond,
        p50: w.p50Ms / b.p50Ms,
        p99: w.p99Ms / b.p99Ms,
      };
      print(
        `warden/${baseline} ${key}: throughput ×${fixed(w.callsPerSecond / b.callsPerSecond, 2)}, ` +
          `p50 ×${fixed(w.p50Ms / b.p50Ms, 2)}, p99 ×${fixed(w.p99Ms / b.p99Ms, 2)}` +
          (w.errors > 0 ? ` (meaningless: ${w.errors} Warden calls failed)` : ''),
      );
    }
  }

  // The floor under Warden's c=1 latency: every call waits for one durable commit, which no pass-through pays.
  /** @type {number | null} */
  let auditCommitUs = null;
  if (existsSync(join(ROOT, 'dist', 'audit', 'index.js'))) {
    auditCommitUs = await measureAuditCommitUs(join(ROOT, 'dist'));
    const passC1 = results['pass-through']?.runs.c1;
    const share = passC1
      ? ` = ${fixed((auditCommitUs / (passC1.meanMs * 1000)) * 100, 0)}% of a pass-through call at c=1`
      : '';
    print(
      `one durable audit commit (intent + previous outcome, measured alone): ${fixed(auditCommitUs, 1)} µs${share}`,
    );
  }

  const verdict = judge(results, skipped);
  print(verdict);

  const outFile = join(tmpdir(), `warden-bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const report = {
    when: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    settings,
    results,
    ratios,
    auditCommitUs,
    skipped,
    verdict,
  };
  writeFileSync(outFile, JSON.stringify(report, null, 2) + '\n');
  print(`results written to ${outFile}`);
  rmSync(workDir, { recursive: true, force: true });
}

/**
 * The one-line verdict: Warden's throughput must be at least the pass-through's at every concurrency.
 * @param {Record<string, { runs: Record<string, import('./measure.mjs').RunStats> }>} results
 * @param {Record<string, string>} skipped
 */
function judge(results, skipped) {
  const warden = results.warden;
  const base = results['pass-through'];
  if (!warden)
    return `target missed: Warden was not measured (${(skipped.warden ?? 'unknown reason').split('\n')[0]})`;
  if (!base)
    return 'target missed: the pass-through proxy was not measured, so there is nothing to compare with';
  const shortfalls = [];
  for (const [key, w] of Object.entries(warden.runs)) {
    const b = base.runs[key];
    if (!b) continue;
    if (w.errors > 0) shortfalls.push(`${key}: ${w.errors} calls failed`);
    else if (w.callsPerSecond < b.callsPerSecond) {
      shortfalls.push(`${key}: ${fixed(w.callsPerSecond, 0)} vs ${fixed(b.callsPerSecond, 0)} calls/s`);
    }
  }
  return shortfalls.length === 0
    ? 'target met: Warden throughput >= pass-through'
    : `target missed: Warden throughput < pass-through (${shortfalls.join('; ')})`;
}

await main();
