// Measurement helpers for the gateway benchmark: connect an SDK client to a stdio MCP server, drive a fixed number
// of tools/call at a given concurrency, and summarise latencies. No policy about what to compare lives here.
import { existsSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';

const STDERR_TAIL_CHARS = 4_000;
const CALL_TIMEOUT_MS = 10_000;
const MAX_ERRORS = 20;

/**
 * @typedef {object} Target
 * @property {string} label     Name in the report, e.g. "direct".
 * @property {string} command
 * @property {string[]} args
 * @property {string} [cwd]
 * @property {string} tool      The tool name to call through this target.
 */

/**
 * @typedef {object} Connected
 * @property {Client} client
 * @property {StdioClientTransport} transport
 * @property {number | null} pid  The spawned process (the proxy, or the fixture when there is none).
 * @property {number} startupMs   Spawn to "tools listed".
 * @property {() => string} stderrTail  The last few KB the process wrote on stderr (for error messages).
 */

/**
 * Spawns the target, initializes, lists its tools (following cursors) and checks that `target.tool` is there and
 * echoes. Rejects with a message that includes the process's stderr tail when any step fails or times out.
 * @param {Target} target @param {number} timeoutMs
 * @returns {Promise<Connected>}
 */
export async function connectTarget(target, timeoutMs) {
  const started = performance.now();
  const transport = new StdioClientTransport({
    command: target.command,
    args: target.args,
    cwd: target.cwd,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (/** @type {Buffer} */ chunk) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_TAIL_CHARS);
  });
  const stderrTail = () => stderr.trim();
  const client = new Client({ name: 'warden-bench', version: '1.0.0' });
  try {
    await client.connect(transport, { timeout: timeoutMs });
    const names = [];
    let cursor;
    do {
      const page = await client.listTools(cursor === undefined ? {} : { cursor }, { timeout: timeoutMs });
      names.push(...page.tools.map((tool) => tool.name));
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    if (!names.includes(target.tool)) {
      throw new Error(`tool "${target.tool}" is not listed; tools: ${names.join(', ') || '(none)'}`);
    }
    const startupMs = performance.now() - started;
    const probe = await callOnce(client, target.tool, 'probe', timeoutMs);
    if (probe !== 'probe')
      throw new Error(`"${target.tool}" did not echo; answered ${JSON.stringify(probe)}`);
    return { client, transport, pid: transport.pid, startupMs, stderrTail };
  } catch (error) {
    await client.close().catch(() => {});
    const message = error instanceof Error ? error.message : String(error);
    const tail = stderrTail();
    throw new Error(
      `${target.label}: ${message}${tail ? `\n  stderr:\n    ${tail.split('\n').join('\n    ')}` : ''}`,
      {
        cause: error,
      },
    );
  }
}

/**
 * One tools/call; resolves with the first text content, or a description of what came back instead.
 * @param {Client} client @param {string} tool @param {string} text @param {number} [timeoutMs]
 */
async function callOnce(client, tool, text, timeoutMs) {
  const result = await client.request(
    { method: 'tools/call', params: { name: tool, arguments: { text } } },
    CallToolResultSchema,
    timeoutMs === undefined ? undefined : { timeout: timeoutMs },
  );
  const first = result.content[0];
  if (result.isError || first?.type !== 'text') return JSON.stringify(result).slice(0, 300);
  return first.text;
}

/**
 * @typedef {object} RunStats
 * @property {number} calls
 * @property {number} concurrency
 * @property {number} errors
 * @property {number} seconds
 * @property {number} callsPerSecond
 * @property {number} p50Ms
 * @property {number} p99Ms
 * @property {number} meanMs
 * @property {string} [firstError]
 * @property {number | null} [cpuUsPerCall]  Set by the caller: CPU of the target process per call (readCpuMs).
 */

/**
 * Runs `calls` calls of `tool` with `concurrency` in flight; each worker starts its next call as soon as one ends.
 * Errors are counted, not thrown, so one bad run still reports; after `MAX_ERRORS` the run stops early (so a broken
 * target cannot keep the bench busy for calls × timeout) and only the calls made count.
 * @param {Client} client @param {string} tool @param {number} calls @param {number} concurrency
 * @returns {Promise<RunStats>}
 */
export async function runLoad(client, tool, calls, concurrency) {
  const latencies = new Float64Array(calls);
  let issued = 0;
  let errors = 0;
  /** @type {string | undefined} */
  let firstError;
  const worker = async () => {
    while (issued < calls && errors < MAX_ERRORS) {
      const index = issued++;
      const text = `bench-${index}`;
      const begin = performance.now();
      try {
        const answer = await callOnce(client, tool, text, CALL_TIMEOUT_MS);
        if (answer !== text) throw new Error(`unexpected answer ${answer}`);
      } catch (error) {
        errors++;
        firstError ??= error instanceof Error ? error.message : String(error);
      }
      latencies[index] = performance.now() - begin;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, calls) }, worker));
  const seconds = (performance.now() - started) / 1000;
  const done = issued; // every issued call has settled once the workers return
  const sorted = latencies.slice(0, done).sort();
  return {
    calls: done,
    concurrency,
    errors,
    seconds,
    callsPerSecond: done / seconds,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    meanMs: sorted.reduce((sum, value) => sum + value, 0) / Math.max(sorted.length, 1),
    ...(firstError === undefined ? {} : { firstError }),
  };
}

/**
 * Nearest-rank percentile of an ascending array.
 * @param {Float64Array} sorted @param {number} fraction
 */
export function percentile(sorted, fraction) {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil(fraction * sorted.length));
  return sorted[rank - 1] ?? Number.NaN;
}

/**
 * CPU time (user + system, all threads) a live process has used so far, in ms, from /proc; null where /proc is not
 * available. Read before and after a run, it gives the process's CPU per call, which is much less noisy than
 * throughput on a small shared machine.
 * @param {number | null | undefined} pid
 */
export function readCpuMs(pid) {
  if (!pid) return null;
  const path = `/proc/${pid}/stat`;
  if (!existsSync(path)) return null;
  const stat = readFileSync(path, 'utf8');
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th, in 1/100 s.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return Number.isFinite(ticks) ? ticks * 10 : null;
}

/**
 * Peak resident set size (VmHWM) of a live process in MB, from /proc; null where /proc is not available.
 * @param {number | null | undefined} pid
 */
export function readPeakRssMb(pid) {
  if (!pid) return null;
  const path = `/proc/${pid}/status`;
  if (!existsSync(path)) return null;
  const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(path, 'utf8'));
  return match ? Number(match[1]) / 1024 : null;
}
