// Runs recheck over many patterns at once, from synchronous code (policies compile synchronously: the gateway needs
// its policy before it serves anything).
//
// Why not recheck's own `checkSync` per pattern: each call is one round trip to recheck's native `recheck agent`
// process (through a synckit worker), and the agent works on that one pattern while everything else waits. The
// agent's CPU time is not counted by `time` (it is a child the node process never waits for), so the wall time
// looks idle: ~5-20 ms per pattern, a minute for 3000 rules. Here one worker thread sends the patterns to one agent
// several at a time (the agent checks them on several threads), and the main thread blocks once, on a shared flag,
// until every verdict is back: the wall time becomes the agent's CPU time divided by the cores it can use.
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { MessageChannel, Worker, receiveMessageOnPort } from 'node:worker_threads';
import { checkSync, type Diagnostics } from 'recheck';

/** One pattern to check, as recheck takes it. */
export interface RecheckRequest {
  source: string;
  flags: string;
}

/** recheck's verdict, or why there is none (the batch failed, or recheck threw on this pattern). */
export type RecheckOutcome = { diagnostics: Diagnostics } | { error: string };

export interface RecheckBatchOptions {
  /** recheck's own limit per pattern, in ms. */
  timeoutMs: number;
  /** Checks in flight at once; default: the available cores, at least 2, at most 8. */
  concurrency?: number;
  /** Fewest patterns for which a batch worker is started (default SMALL_BATCH); below, they are checked in turn. */
  minBatch?: number;
}

/** Most checks in flight at once: beyond the agent's threads, more only queue (and queued time counts for nothing). */
const MAX_CONCURRENCY = 8;

/**
 * Below this many patterns, starting a worker and an agent (~0.1 s) costs more than checking several at a time
 * saves: recheck's own checkSync (one worker and agent per process, started on first use) checks them in turn.
 * Hot reloads of a changed rule or two, and tests, stay fast; a full policy check takes the batch path.
 */
export const SMALL_BATCH = 16;

function checkOneByOne(requests: readonly RecheckRequest[], timeoutMs: number): RecheckOutcome[] {
  return requests.map(({ source, flags }) => {
    try {
      return { diagnostics: checkSync(source, flags, { timeout: timeoutMs }) };
    } catch (error) {
      return { error: (error as Error).message };
    }
  });
}

// Runs in the worker (plain CommonJS, so it loads the same from src/ under vitest and from dist/). It always ends by
// posting one message and raising the flag, whatever fails, so the main thread never waits for a dead worker.
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { flag, port, requests, concurrency, timeoutMs, recheckPath } = workerData;
const finish = (message) => {
  port.postMessage(message);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
};
(async () => {
  const { check } = require(recheckPath);
  const outcomes = new Array(requests.length);
  let next = 0;
  const lane = async () => {
    while (next < requests.length) {
      const index = next++;
      const { source, flags } = requests[index];
      try {
        outcomes[index] = { diagnostics: await check(source, flags, { timeout: timeoutMs }) };
      } catch (error) {
        outcomes[index] = { error: String((error && error.message) || error) };
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  finish({ outcomes });
})().catch((error) => finish({ error: String((error && error.message) || error) }));
`;

/**
 * Checks every pattern with recheck and returns the outcomes in request order (a few in turn, more in a batch on a
 * worker of their own, several at a time). Blocks the calling thread until all
 * are done (or, should the worker hang, until a deadline that allows each pattern its full timeout; then every
 * outcome is an error). Never throws: a failed batch gives an error outcome per pattern, which callers treat as
 * "not proven safe" (fail closed). The worker, and with it recheck's agent process, ends with the batch.
 */
export function recheckBatchSync(
  requests: readonly RecheckRequest[],
  options: RecheckBatchOptions,
): RecheckOutcome[] {
  if (requests.length === 0) return [];
  if (requests.length < (options.minBatch ?? SMALL_BATCH)) return checkOneByOne(requests, options.timeoutMs);
  const concurrency = Math.max(
    1,
    Math.min(options.concurrency ?? Math.max(2, availableParallelism()), MAX_CONCURRENCY, requests.length),
  );
  const failAll = (reason: string): RecheckOutcome[] => requests.map(() => ({ error: reason }));
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  let worker: Worker;
  try {
    worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        flag,
        port: port2,
        requests: requests.map(({ source, flags }) => ({ source, flags })),
        concurrency,
        timeoutMs: options.timeoutMs,
        recheckPath: createRequire(import.meta.url).resolve('recheck'),
      },
      transferList: [port2],
    });
  } catch (error) {
    port1.close();
    return failAll(`cannot start the regex checker: ${(error as Error).message}`);
  }
  try {
    // Each lane may spend a full timeout on each of its patterns; the agent takes a moment to start.
    const rounds = Math.ceil(requests.length / concurrency);
    const deadlineMs = rounds * (options.timeoutMs + 1_000) + 30_000;
    if (Atomics.wait(flag, 0, 0, deadlineMs) === 'timed-out') {
      return failAll(`the regex checker did not answer within ${Math.round(deadlineMs / 1000)} s`);
    }
    const reply = receiveMessageOnPort(port1)?.message as
      { outcomes?: RecheckOutcome[]; error?: string } | undefined;
    if (reply?.outcomes?.length === requests.length) return reply.outcomes;
    return failAll(`the regex checker failed: ${reply?.error ?? 'no answer'}`);
  } finally {
    port1.close();
    void worker.terminate();
  }
}
