// Checks an argument matcher as the operator wrote it, before matchers.ts compiles it: every operator's value has the
// type it needs, and the operators of one mapping can work together. Each problem is reported at the value (or the
// key) that is wrong, and checking goes on, so one run lists every problem of a rule.
import { describeValue, unknownKeyMessage, type YamlPath } from './problems.js';
import { MAX_REGEX_LENGTH, OPERATOR_KEYS, REGEX_FLAGS_PATTERN } from './schema.js';

/** Reports one problem at `path` (at the key `key` of the mapping at `path`, when given). */
export type ReportProblem = (path: YamlPath, message: string, key?: string) => void;

/** A problem with one operator's value, or undefined when it has the right type. */
type ValueCheck = (value: unknown) => string | undefined;

/** `"10"` → ` (a string; write 10 without quotes)`: YAML reads a quoted number or boolean as text. */
function quotedLiteralHint(value: unknown): string {
  if (typeof value !== 'string') return '';
  const text = value.trim();
  const literal = text === 'true' || text === 'false' || (text !== '' && Number.isFinite(Number(text)));
  return literal ? ` (a string; write ${text} without quotes)` : '';
}

const aNumber: ValueCheck = (value) =>
  typeof value === 'number' && Number.isFinite(value)
    ? undefined
    : `expected a number, got ${describeValue(value)}${quotedLiteralHint(value)}`;

const aBoolean: ValueCheck = (value) =>
  typeof value === 'boolean'
    ? undefined
    : `expected true or false, got ${describeValue(value)}${quotedLiteralHint(value)}`;

const aRegex: ValueCheck = (value) => {
  if (typeof value !== 'string')
    return `expected a regex as a string, e.g. '^/etc/', got ${describeValue(value)}`;
  if (value === '') return 'must not be empty';
  if (value.length > MAX_REGEX_LENGTH) {
    return `is longer than ${MAX_REGEX_LENGTH} characters; split the rule or simplify the pattern`;
  }
  return undefined;
};

const regexFlags: ValueCheck = (value) => {
  if (typeof value !== 'string')
    return `expected regex flags as a string, e.g. i, got ${describeValue(value)}`;
  if (!REGEX_FLAGS_PATTERN.test(value)) {
    return 'may only use the flags i, m, s, u (g and y make matching stateful; they are refused)';
  }
  return new Set(value).size === value.length ? undefined : `names a flag twice: ${JSON.stringify(value)}`;
};

const aListOfValues: ValueCheck = (value) => {
  if (!Array.isArray(value)) {
    return `expected a list of values, got ${describeValue(value)}; for a single value write equals: instead`;
  }
  return value.length === 0 ? 'must list at least one value' : undefined;
};

const aListOfMatchers: ValueCheck = (value) => {
  if (!Array.isArray(value)) {
    return `expected a list of matchers, e.g. [{ regex: ... }, { equals: ... }], got ${describeValue(value)}`;
  }
  return value.length === 0 ? 'must list at least one matcher' : undefined;
};

/** Any value: `equals`, `contains`; the matcher itself for `not` / `anyItem` (compileMatcher checks it). */
const anything: ValueCheck = () => undefined;

const VALUE_CHECKS: Record<(typeof OPERATOR_KEYS)[number], ValueCheck> = {
  equals: anything,
  oneOf: aListOfValues,
  regex: aRegex,
  flags: regexFlags,
  contains: anything,
  ignoreCase: aBoolean,
  gt: aNumber,
  gte: aNumber,
  lt: aNumber,
  lte: aNumber,
  exists: aBoolean,
  not: anything,
  any: aListOfMatchers,
  all: aListOfMatchers,
  anyItem: anything,
};

const CASE_OPERATORS = ['equals', 'oneOf', 'contains'] as const;

/**
 * What a matcher that is neither a value nor a mapping of operators (a list) should have been, worded for where it
 * stands: a list of accepted values is `oneOf`, under `not` too, and `anyItem` takes one matcher for every item.
 */
export function notAMatcherMessage(value: unknown, path: YamlPath): string {
  const expected =
    'expected a value (string, number, boolean, null) or a mapping of operators such as { regex: ... }';
  const got = `got ${describeValue(value)}`;
  const parent = path.at(-1);
  if (!Array.isArray(value)) return `${expected}, ${got}`;
  if (parent === 'not') return `${expected}, ${got}; to refuse several values write not: { oneOf: [...] }`;
  if (parent === 'anyItem') {
    return `${expected}, ${got}; anyItem takes one matcher that is tried on every item, e.g. anyItem: { oneOf: [...] }`;
  }
  if (typeof parent === 'number')
    return `${expected}, ${got}; for a list of accepted values write { oneOf: [...] }`;
  return `${expected}, ${got}; for a list of accepted values write oneOf: [...]`;
}

/**
 * Checks one mapping of operators. Returns the operators whose values have the right type (matchers.ts compiles
 * those, so their own problems, such as a regex that does not parse, are found too) and whether everything is
 * right. Nested matchers (`not`, `any`, `all`, `anyItem`) are checked when they are compiled.
 */
export function checkOperators(
  input: Record<string, unknown>,
  path: YamlPath,
  report: ReportProblem,
): { ok: boolean; valid: Set<string> } {
  let ok = true;
  const fail: ReportProblem = (at, message, key) => {
    ok = false;
    report(at, message, key);
  };
  const keys = Object.keys(input);
  const valid = new Set<string>();
  if (keys.length === 0) fail(path, 'an operator mapping needs at least one operator (equals, regex, …)');
  for (const key of keys) {
    if (!Object.hasOwn(VALUE_CHECKS, key)) {
      fail(path, unknownKeyMessage(path, key), key);
      continue;
    }
    const problem = VALUE_CHECKS[key as keyof typeof VALUE_CHECKS](input[key]);
    if (problem === undefined) valid.add(key);
    else fail([...path, key], problem);
  }

  // Combinations are judged by the operators present, whatever their values: each is its own problem.
  if ('ignoreCase' in input && !CASE_OPERATORS.some((op) => op in input)) {
    fail([...path, 'ignoreCase'], 'ignoreCase applies to equals, oneOf and contains; for regex use flags: i');
  }
  if ('flags' in input && !('regex' in input)) {
    fail([...path, 'flags'], 'flags apply to regex; add regex or remove flags');
  }
  // Without u, \p{L} is a plain "p{L}": the rule would silently match something else than what was written.
  if (
    valid.has('regex') &&
    /\\[pP]\{/.test(input.regex as string) &&
    !(typeof input.flags === 'string' && input.flags.includes('u'))
  ) {
    fail(
      [...path, 'regex'],
      'uses \\p{…}, which only means a Unicode property with the u flag; add flags: u',
    );
  }
  if (input.exists === false && keys.some((key) => key !== 'exists')) {
    fail(
      [...path, 'exists'],
      'exists: false cannot be combined with other operators (an absent argument has no value to compare)',
    );
  }
  return { ok, valid };
}
