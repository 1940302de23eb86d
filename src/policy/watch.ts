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
 * Watches each file's directory (so editors that save by renaming a temp file over the original are seen),
 * debounces events, and reloads only when the content hash differs from the last one seen. Every distinct broken
 * version is reported once through onError.
 */
export function watchPolicyFiles(paths: readonly string[], options: WatchPolicyOptions): PolicyWatcher {
  const logger = options.logger ?? SILENT_LOGGER;
  const debounceMs = options.debounceMs ?? 100;
  const regexCache = options.regexCache ?? new Set<string>();
  const namesByDir = new Map<string, Set<string>>();
  for (const file of paths) {
    const absolute = path.resolve(file);
    const dir = path.dirname(absolute);
    const names = namesByDir.get(dir) ?? new Set<string>();
    names.add(path.basename(absolute));
    namesByDir.set(dir, names);
  }

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

  const watchers: FSWatcher[] = [];
  for (const [dir, names] of namesByDir) {
    try {
      const watcher = watch(dir, { persistent: false }, (_event, filename) => {
        // Some platforms omit the name; a spurious check is cheap since unchanged content is ignored.
        if (filename === null || names.has(path.basename(filename.toString()))) schedule();
      });
      watcher.on('error', (error) => {
        deliver('onError', () =>
          options.onError(new WardenError('POLICY_NOT_FOUND', `cannot watch ${dir}: ${errorMessage(error)}`)),
        );
      });
      watchers.push(watcher);
    } catch (error) {
      deliver('onError', () =>
        options.onError(new WardenError('POLICY_NOT_FOUND', `cannot watch ${dir}: ${errorMessage(error)}`)),
      );
    }
  }

  return {
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      for (const watcher of watchers) watcher.close();
    },
  };
}
