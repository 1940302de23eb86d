// Building blocks of the config schema: messages that say what is expected (with "did you mean"), strict
// mappings, durations, and the error map for issues no schema worded itself.
import { z } from 'zod';
import { MAX_TIMEOUT_MS, parseDuration } from '../policy/schema.js';

export type RawIssue = z.core.$ZodRawIssue;

/** `error` option: "expected <what>" for a wrong type, "missing: expected <what>" for an absent key. */
export function expecting(what: string) {
  return (issue: RawIssue) => {
    if (issue.code !== 'invalid_type') return undefined;
    return issue.input === undefined ? `missing: expected ${what}` : `expected ${what}`;
  };
}

/** The known key closest to a mistyped one (case, `_`/`-` and small typos), if any is close enough. */
export function suggestKey(key: string, known: readonly string[]): string | undefined {
  const squash = (s: string) => s.toLowerCase().replace(/[-_]/g, '');
  const exact = known.find((k) => squash(k) === squash(key));
  if (exact) return exact;
  const limit = key.length <= 4 ? 1 : 2;
  let best: { key: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(squash(key), squash(candidate));
    if (distance <= limit && (!best || distance < best.distance)) best = { key: candidate, distance };
  }
  return best?.key;
}

export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}

export function unknownKeyMessage(key: string, known: readonly string[]): string {
  const suggestion = suggestKey(key, known);
  if (suggestion) return `unknown key "${key}" (did you mean "${suggestion}"?)`;
  return `unknown key "${key}" (expected one of: ${known.join(', ')})`;
}

/**
 * A strict mapping of settings. Unknown keys are errors (a typo must not be silently ignored), worded one line per key
 * with a "did you mean" suggestion; load.ts splits those lines and points each at its key.
 */
export function settings<Shape extends z.core.$ZodLooseShape>(shape: Shape, what: string) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code === 'unrecognized_keys')
        return issue.keys.map((k) => unknownKeyMessage(k, known)).join('\n');
      return expecting(what)(issue);
    },
  });
}

/**
 * A schema that validates a value against the one branch `choose` picks (or fails with the message `choose`
 * returns), so an error is about that branch's real problem rather than a dump of every alternative, as z.union
 * gives. Issues from the branch keep their codes and paths.
 */
export function oneOf<T>(choose: (value: unknown) => z.ZodType<T> | string) {
  return z.unknown().transform((value, ctx): T => {
    const branch = choose(value);
    if (typeof branch === 'string') {
      ctx.addIssue({ code: 'custom', message: branch, input: value });
      return z.NEVER;
    }
    const result = branch.safeParse(value, { error: configIssueMessage });
    if (result.success) return result.data;
    // The branch's issues are final (worded, paths relative to this value); re-raising them keeps both.
    for (const issue of result.error.issues) ctx.addIssue({ ...issue } as Parameters<typeof ctx.addIssue>[0]);
    return z.NEVER;
  });
}

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A string; numbers and booleans (as YAML writes `PORT: 8080`) are taken as their text. */
export function text(what: string) {
  return z.preprocess(
    (value) => (typeof value === 'number' || typeof value === 'boolean' ? String(value) : value),
    z.string({ error: expecting(what) }),
  );
}

export const envMap = (what: string) =>
  z.record(z.string(), text('a string (a number or true/false is taken as text)'), {
    error: expecting(what),
  });

export const DURATION_WHAT = 'a duration such as 30s, 15m, 2h, or a whole number of milliseconds';

/** `30s`, `15m`, `2h`, `1d`, `500ms`, or a number of milliseconds; parsed to milliseconds. */
export function duration(what: string) {
  return z
    .union(
      [
        z.number().int(`expected ${DURATION_WHAT}`).positive('must be longer than 0'),
        z.string().regex(/^\d+(ms|s|m|h|d)$/, `expected ${DURATION_WHAT} (${what})`),
      ],
      { error: () => `expected ${DURATION_WHAT} (${what})` },
    )
    .transform(parseDuration)
    .refine((ms) => ms > 0 && ms <= MAX_TIMEOUT_MS, 'must be longer than 0 and at most 7 days');
}

export const positiveMs = (what: string) =>
  z
    .number({ error: expecting(`a whole number of milliseconds (${what})`) })
    .int('must be a whole number of milliseconds')
    .positive('must be greater than 0');

export const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
};

/**
 * Error map for every parse of the config: words for the issues no schema above worded itself. Pass it as
 * `safeParse(value, { error: configIssueMessage })`; a schema's own `error` still wins.
 */
export function configIssueMessage(issue: RawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type': {
      const what = TYPE_WORDS[issue.expected] ?? issue.expected;
      return issue.input === undefined ? `missing: expected ${what}` : `expected ${what}`;
    }
    case 'too_small':
      if (issue.origin === 'string') return 'must not be empty';
      if (issue.origin === 'array') return `needs at least ${issue.minimum} item(s)`;
      return `must be ${issue.inclusive ? 'at least' : 'greater than'} ${issue.minimum}`;
    case 'too_big':
      return `must be ${issue.inclusive ? 'at most' : 'less than'} ${issue.maximum}`;
    case 'invalid_value':
      return `expected ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}`;
    case 'unrecognized_keys':
      return issue.keys.map((k) => `unknown key "${k}"`).join('\n');
    default:
      return undefined;
  }
}
