// Builds the regexes operators write in policies, and refuses the ones that can backtrack catastrophically (ReDoS).
// A policy regex runs against arguments an agent chose, so an exponential pattern would let a prompt stall the
// gateway. recheck proves a pattern linear (or finds an attack string) once, at load; evaluation then trusts it.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { checkSync } from 'recheck';

/** How long recheck may think about one pattern. A pattern it cannot clear in time is refused (fail closed). */
export const REGEX_CHECK_TIMEOUT_MS = 5_000;

const RECHECK_VERSION: string = (
  createRequire(import.meta.url)('recheck/package.json') as { version: string }
).version;

/**
 * Remembers the patterns recheck has proven safe, by `regexCheckKey`. A `Set<string>` is one; openRegexCheckCache
 * keeps one in a file so that starting the gateway does not re-check unchanged policies (a check takes 1-300 ms).
 */
export interface RegexCheckCache {
  has(key: string): boolean;
  add(key: string): void;
  /** Called once after a compile that added keys. */
  flush?(): void;
}

/** sha256 over the recheck version, flags and source: a new recheck release re-checks everything. */
export function regexCheckKey(source: string, flags: string): string {
  return createHash('sha256').update(`recheck ${RECHECK_VERSION}\0${flags}\0${source}`).digest('hex');
}

export type RegexOutcome =
  | { ok: true; regex: RegExp }
  | { ok: false; code: 'POLICY_INVALID' | 'POLICY_UNSAFE_REGEX'; message: string };

/**
 * Compiles `source` with `flags` and checks it with recheck. `extraFlags` are added to the built RegExp only (the
 * redactor needs `g` for replace-all; it does not change backtracking). Patterns found safe are added to `cache` and
 * not checked again. Never throws: problems come back as data.
 */
export function buildSafeRegex(
  source: string,
  flags: string,
  extraFlags = '',
  cache?: RegexCheckCache,
): RegexOutcome {
  const shown = `/${source}/${flags}`;
  let regex: RegExp;
  try {
    regex = new RegExp(source, flags + extraFlags);
  } catch (cause) {
    return {
      ok: false,
      code: 'POLICY_INVALID',
      message: `invalid regex ${shown}: ${(cause as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /, '')}`,
    };
  }
  const key = cache ? regexCheckKey(source, flags) : '';
  if (cache?.has(key)) return { ok: true, regex };
  const display = new RegExp(source, flags).toString();
  let diagnostics: ReturnType<typeof checkSync>;
  try {
    diagnostics = checkSync(source, flags, { timeout: REGEX_CHECK_TIMEOUT_MS });
  } catch (cause) {
    return {
      ok: false,
      code: 'POLICY_UNSAFE_REGEX',
      message: `regex ${display} could not be checked for catastrophic backtracking (${(cause as Error).message}); Warden refuses regexes it cannot check`,
    };
  }
  switch (diagnostics.status) {
    case 'safe':
      cache?.add(key);
      return { ok: true, regex };
    case 'vulnerable':
      return {
        ok: false,
        code: 'POLICY_UNSAFE_REGEX',
        message:
          `regex ${display} can backtrack catastrophically (${diagnostics.complexity.type} time; attack string ` +
          `${diagnostics.attack.pattern}); rewrite it without nested or overlapping repetition, e.g. (a+)+ → a+`,
      };
    default: {
      const error = diagnostics.error;
      const detail =
        error.kind === 'timeout'
          ? `the check did not finish within ${REGEX_CHECK_TIMEOUT_MS / 1000} s`
          : 'message' in error
            ? `${error.kind}: ${error.message}`
            : error.kind;
      return {
        ok: false,
        code: error.kind === 'invalid' ? 'POLICY_INVALID' : 'POLICY_UNSAFE_REGEX',
        message: `regex ${display} could not be proven safe from catastrophic backtracking (${detail}); simplify it`,
      };
    }
  }
}
