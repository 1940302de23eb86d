// Builds the regexes operators write in policies, and refuses the ones that can backtrack catastrophically (ReDoS).
// A policy regex runs against arguments an agent chose, so an exponential pattern would let a prompt stall the
// gateway. recheck proves a pattern linear (or finds an attack string) once, at load; evaluation then trusts it.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { recheckBatchSync, type RecheckOutcome, type RecheckRequest } from './recheck-batch.js';
import { SHIPPED_SAFE_REGEX_KEYS } from './shipped-regexes.js';

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

/** A pattern (with its flags) to check for catastrophic backtracking. */
export type RegexSafetyRequest = RecheckRequest;

/** Whether a pattern was proven free of catastrophic backtracking; if not, why, worded for the operator. */
export type RegexSafety =
  { safe: true } | { safe: false; code: 'POLICY_INVALID' | 'POLICY_UNSAFE_REGEX'; message: string };

/**
 * Compiles `source` with `flags` + `extraFlags`, checking the syntax only. `extraFlags` are added to the built RegExp
 * (the redactor needs `g` for replace-all; it does not change backtracking). Never throws.
 */
export function compileRegex(source: string, flags: string, extraFlags = ''): RegexOutcome {
  try {
    return { ok: true, regex: new RegExp(source, flags + extraFlags) };
  } catch (cause) {
    return {
      ok: false,
      code: 'POLICY_INVALID',
      message: `invalid regex /${source}/${flags}: ${(cause as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /, '')}`,
    };
  }
}

function display(source: string, flags: string): string {
  try {
    return new RegExp(source, flags).toString();
  } catch {
    return `/${source}/${flags}`;
  }
}

/** recheck's answer for one pattern, as a verdict the operator can act on. */
function verdictOf(request: RegexSafetyRequest, outcome: RecheckOutcome, timeoutMs: number): RegexSafety {
  const shown = display(request.source, request.flags);
  if ('error' in outcome) {
    return {
      safe: false,
      code: 'POLICY_UNSAFE_REGEX',
      message: `regex ${shown} could not be checked for catastrophic backtracking (${outcome.error}); Warden refuses regexes it cannot check`,
    };
  }
  const diagnostics = outcome.diagnostics;
  switch (diagnostics.status) {
    case 'safe':
      return { safe: true };
    case 'vulnerable':
      return {
        safe: false,
        code: 'POLICY_UNSAFE_REGEX',
        message:
          `regex ${shown} can backtrack catastrophically (${diagnostics.complexity.type} time; attack string ` +
          `${diagnostics.attack.pattern}); rewrite it without nested or overlapping repetition, e.g. (a+)+ → a+`,
      };
    default: {
      const error = diagnostics.error;
      const detail =
        error.kind === 'timeout'
          ? `the check did not finish within ${timeoutMs / 1000} s`
          : 'message' in error
            ? `${error.kind}: ${error.message}`
            : error.kind;
      return {
        safe: false,
        code: error.kind === 'invalid' ? 'POLICY_INVALID' : 'POLICY_UNSAFE_REGEX',
        message: `regex ${shown} could not be proven safe from catastrophic backtracking (${detail}); simplify it`,
      };
    }
  }
}

/**
 * Checks many patterns for catastrophic backtracking, in one batch: the shipped policies' patterns (proven when the
 * package was built, see shipped-regexes.ts) and patterns in `cache` are trusted, the same
 * pattern is checked once, and the rest go to recheck several at a time (recheckBatchSync). Returns one verdict per
 * request, in order; patterns proven safe are added to `cache`. Anything recheck cannot decide is not safe (fail
 * closed). Blocks until done; never throws.
 */
export function checkRegexSafety(
  requests: readonly RegexSafetyRequest[],
  cache?: RegexCheckCache,
  {
    proveShipped = false,
    timeoutMs = REGEX_CHECK_TIMEOUT_MS,
  }: { proveShipped?: boolean; timeoutMs?: number } = {},
): RegexSafety[] {
  const keys = requests.map((request) => regexCheckKey(request.source, request.flags));
  const toCheck = new Map<string, RegexSafetyRequest>();
  requests.forEach((request, index) => {
    const key = keys[index]!;
    if (!proveShipped && SHIPPED_SAFE_REGEX_KEYS.has(key)) return;
    if (!cache?.has(key) && !toCheck.has(key)) toCheck.set(key, request);
  });
  const outcomes = recheckBatchSync([...toCheck.values()], { timeoutMs });
  const verdicts = new Map<string, RegexSafety>();
  [...toCheck].forEach(([key, request], index) => {
    const verdict = verdictOf(request, outcomes[index] ?? { error: 'no answer' }, timeoutMs);
    verdicts.set(key, verdict);
    if (verdict.safe) cache?.add(key);
  });
  return keys.map((key) => verdicts.get(key) ?? { safe: true });
}

/**
 * Compiles `source` with `flags` and checks it with recheck (compileRegex, then checkRegexSafety for one pattern).
 * Patterns found safe are added to `cache` and not checked again. Never throws: problems come back as data. To
 * check many patterns, prefer checkRegexSafety: one batch is much faster than one call each.
 */
export function buildSafeRegex(
  source: string,
  flags: string,
  extraFlags = '',
  cache?: RegexCheckCache,
): RegexOutcome {
  const built = compileRegex(source, flags, extraFlags);
  if (!built.ok) return built;
  const [verdict] = checkRegexSafety([{ source, flags }], cache);
  return !verdict || verdict.safe ? built : { ok: false, code: verdict.code, message: verdict.message };
}
