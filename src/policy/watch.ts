// Hot reload: watch the policy files and hand over a newly compiled policy when their content changes. A broken
// edit is reported and the caller keeps the policy it has: a typo never leaves the gateway without a policy.
import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { WardenError, errorMessage } from '../errors.js';
import { SILENT_LOGGER, type Logger } from '../log.js';
import { compilePolicySources, policyVersion } from './compile.js';
import { readPolicySources } from './load.js';
import type { RegexCheckCache } from './regex-safety.js';
import type { CompiledPolicy } from './types.js';

export interface WatchPolicyOptions {
  /** A new policy compiled cleanly from changed files. */
  onReload(policy: CompiledPolicy): void;
  /** The changed files do not load (unreadable, invalid, unsafe regex); the caller should keep its last good policy. */
  onError(error: Error): void;
  logger?: Logger;
  /** Version of the policy the caller loaded. When given and the files on disk already differ, a reload runs at once. */
  initialVersion?: string;
  /** Remembers regexes already proven safe across reloads; by default an in-memory set owned by the watcher. */
  regexCache?: RegexCheckCache;
  /** Quiet time after the last file event before reloading (editors write in several steps). Default 100 ms. */
  debounceMs?: number;
}

export interface PolicyWatcher {
  close(): void;
}

/**
 * Watches each file (again after an editor renames a temporary file over it, or after it was deleted and is back),
 * debounces events, and reloads only when the content hash differs from the last one seen. Every distinct broken
 * version is reported once through onError.
 */
/** How often a missing policy file is looked for again, to watch it once it is back. */
const REWATCH_MS = 250;

export function watchPolicyFiles(paths: readonly string[], options: WatchPolicyOptions): PolicyWatcher {
  const logger = options.logger ?? SILENT_LOGGER;
  const debounceMs = options.debounceMs ?? 100;
  const regexCache = options.regexCache ?? new Set<string>();

  /** The version (or the read error) last acted on: an event that changes nothing is ignored. */
  let lastSeen: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const deliver = (what: string, callback: () => void) => {
    try {
      callback();
    } catch (error) {
      logger.error(`policy watcher: ${what} callback failed: ${errorMessage(error)}`);
    }
  };

  const reload = () => {
    timer = undefined;
    if (closed) return;
    let sources;
    try {
      sources = readPolicySources(paths);
    } catch (error) {
      const key = `unreadable:${errorMessage(error)}`;
      if (key === lastSeen) return;
      lastSeen = key;
      deliver('onError', () => options.onError(error as Error));
      return;
    }
    const version = policyVersion(sources);
    if (version === lastSeen) return;
    lastSeen = version;
    logger.debug(`policy files changed (version ${version.slice(0, 12)}); recompiling`);
    let policy: CompiledPolicy;
    try {
      policy = compilePolicySources(sources, { regexCache });
    } catch (error) {
      deliver('onError', () => options.onError(error as Error));
      return;
    }
    deliver('onReload', () => options.onReload(policy));
  };

  const schedule = () => {
    if (closed) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(reload, debounceMs);
    timer.unref();
  };

  if (options.initialVersion !== undefined) {
    lastSeen = options.initialVersion;
    schedule();
  } else {
    try {
      lastSeen = policyVersion(readPolicySources(paths));
    } catch {
      lastSeen = undefined;
    }
  }

  // Each file is watched itself, not its folder: the folder often holds the audit database too, whose every commit
  // would wake the watcher. An editor that saves by renaming a temporary file over the original (or a delete) ends
  // the watch on the old file; the watch is then set up again on the path, as soon as it exists.
  const watchers = new Map<string, FSWatcher>();
  const retries = new Set<NodeJS.Timeout>();
  const rewatchLater = (file: string) => {
    const retry = setTimeout(() => {
      retries.delete(retry);
      watchFile(file);
    }, REWATCH_MS);
    retry.unref();
    retries.add(retry);
  };
  const watchFile = (file: string) => {
    if (closed) return;
    let watcher: FSWatcher;
    try {
      watcher = watch(file, { persistent: false }, (event) => {
        schedule();
        if (event !== 'rename') return;
        watcher.close();
        watchers.delete(file);
        // The path may already hold the new file; if not, this keeps trying until it does.
        watchFile(file);
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        deliver('onError', () =>
          options.onError(
            new WardenError('POLICY_NOT_FOUND', `cannot watch ${file}: ${errorMessage(error)}`),
          ),
        );
      }
      rewatchLater(file);
      return;
    }
    watcher.on('error', (error) => {
      watcher.close();
      watchers.delete(file);
      schedule();
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        deliver('onError', () =>
          options.onError(
            new WardenError('POLICY_NOT_FOUND', `cannot watch ${file}: ${errorMessage(error)}`),
          ),
        );
      }
      rewatchLater(file);
    });
    watchers.set(file, watcher);
    // It may have changed between the last read and this watch (a rename just now): check once.
    schedule();
  };
  for (const file of new Set(paths.map((p) => path.resolve(p)))) watchFile(file);

  return {
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      for (const retry of retries) clearTimeout(retry);
      for (const watcher of watchers.values()) watcher.close();
    },
  };
}
