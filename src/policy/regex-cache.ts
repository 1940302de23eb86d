// A file that remembers which policy regexes recheck proved safe, so each `warden serve` start (one per agent
// session) does not spend seconds re-proving unchanged patterns. Only "safe" verdicts are kept.
//
// Security: whoever can write this file can make Warden skip the ReDoS check for a pattern; keep it where the
// policy files themselves live or somewhere only the operator can write (it holds hashes, no policy text).
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../errors.js';
import { SILENT_LOGGER, type Logger } from '../log.js';
import type { RegexCheckCache } from './regex-safety.js';

/**
 * Opens (or starts) a cache file of safe-pattern keys. Unreadable or corrupt files start empty with a warning,
 * and failed writes only warn: the cache is an optimisation, never a reason to refuse a policy.
 */
export function openRegexCheckCache(file: string, logger: Logger = SILENT_LOGGER): RegexCheckCache {
  const safe = new Set<string>();
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { safe?: unknown };
    if (Array.isArray(parsed.safe)) for (const key of parsed.safe) if (typeof key === 'string') safe.add(key);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      logger.warn(`regex check cache ${file} is unreadable, starting afresh: ${errorMessage(error)}`);
    }
  }
  let dirty = false;
  return {
    has: (key) => safe.has(key),
    add(key) {
      if (!safe.has(key)) dirty = true;
      safe.add(key);
    },
    flush() {
      if (!dirty) return;
      try {
        mkdirSync(path.dirname(file), { recursive: true });
        const temporary = `${file}.${process.pid}.tmp`;
        writeFileSync(temporary, `${JSON.stringify({ safe: [...safe] })}\n`);
        renameSync(temporary, file);
        dirty = false;
      } catch (error) {
        logger.warn(`cannot write regex check cache ${file}: ${errorMessage(error)}`);
      }
    },
  };
}
