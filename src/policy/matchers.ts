// Argument matchers: compiled once from the YAML form (`{ regex: '^/etc/', flags: i }`) into small closures that
// evaluation only runs. Each matcher describes itself, so verdicts can say which condition held and why.
import { checkOperators, notAMatcherMessage } from './operators.js';
import type { PolicyErrorCode, YamlPath } from './problems.js';
import type { OperatorsInput } from './schema.js';

/** A compiled matcher for one argument value. */
export interface ValueMatcher {
  /** What it checks, for messages: `matches /^\/etc\//i`, `is one of ["prod","production"]`. */
  readonly text: string;
  /** What held (for `any`, the alternative that held), or null when it does not hold. */
  test(value: unknown, present: boolean): string | null;
}

/** What the compiler needs from the caller: where to report problems, and how to build a checked regex. */
export interface MatcherContext {
  /** Reports a problem at `path`, or at the key `key` of the mapping there. */
  problem(path: YamlPath, code: PolicyErrorCode, message: string, key?: string): void;
  /** A regex that passed the syntax and catastrophic-backtracking checks, or undefined (a problem was reported). */
  regex(source: string, flags: string, path: YamlPath): RegExp | undefined;
}

const MAX_SHOWN = 60;

/** A short JSON rendering of a constant from the policy file, for matcher texts. */
export function showConstant(value: unknown): string {
  const json = JSON.stringify(value) ?? String(value);
  return json.length > MAX_SHOWN ? `${json.slice(0, MAX_SHOWN)}…` : json;
}

/** Deep equality of JSON-like values; `ignoreCase` compares strings case-insensitively. */
export function jsonEqual(a: unknown, b: unknown, ignoreCase = false): boolean {
  if (typeof a === 'string' && typeof b === 'string') {
    return ignoreCase ? a.toLowerCase() === b.toLowerCase() : a === b;
  }
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((item, i) => jsonEqual(item, b[i], ignoreCase))
    );
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left);
  return (
    keys.length === Object.keys(right).length &&
    keys.every((key) => Object.hasOwn(right, key) && jsonEqual(left[key], right[key], ignoreCase))
  );
}

/** Numbers, and strings that are plainly numbers (`"5000"`): agents often send numbers as strings. */
function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && value.trim() !== '') {
    const parsed = Number(value);
    return Number.isFinite(parsed) ? parsed : undefined;
  }
  return undefined;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A matcher whose `why` text is its static text. */
function simple(text: string, holds: (value: unknown, present: boolean) => boolean): ValueMatcher {
  return { text, test: (value, present) => (holds(value, present) ? text : null) };
}

/** Holds when every matcher holds; says what each one found. */
function allOf(matchers: ValueMatcher[]): ValueMatcher {
  if (matchers.length === 1) return matchers[0]!;
  return {
    text: matchers.map((m) => m.text).join(' and '),
    test: (value, present) => {
      const held: string[] = [];
      for (const matcher of matchers) {
        const result = matcher.test(value, present);
        if (result === null) return null;
        held.push(result);
      }
      return held.join(' and ');
    },
  };
}

function anyOf(matchers: ValueMatcher[]): ValueMatcher {
  return {
    text: `any of (${matchers.map((m) => m.text).join(' | ')})`,
    test: (value, present) => {
      for (const matcher of matchers) {
        const held = matcher.test(value, present);
        if (held !== null) return held;
      }
      return null;
    },
  };
}

function not(inner: ValueMatcher): ValueMatcher {
  const text = `not (${inner.text})`;
  return { text, test: (value, present) => (inner.test(value, present) === null ? text : null) };
}

function anyItem(inner: ValueMatcher): ValueMatcher {
  return {
    text: `has an item that ${inner.text}`,
    test: (value, present) => {
      if (!present || !Array.isArray(value)) return null;
      for (let i = 0; i < value.length; i++) {
        const held = inner.test(value[i], true);
        if (held !== null) return `has item ${i} that ${held}`;
      }
      return null;
    },
  };
}

function contains(needle: unknown, ignoreCase: boolean, note: string): ValueMatcher {
  let inString: (text: string) => boolean = () => false;
  if (typeof needle === 'string') {
    const insensitive = new RegExp(escapeRegex(needle), 'i');
    inString = ignoreCase ? (text) => insensitive.test(text) : (text) => text.includes(needle);
  }
  return simple(`contains ${showConstant(needle)}${note}`, (value, present) => {
    if (!present) return false;
    if (typeof value === 'string') return inString(value);
    return Array.isArray(value) && value.some((item) => jsonEqual(item, needle, ignoreCase));
  });
}

const BOUNDS = [
  ['gt', '>', (n: number, limit: number) => n > limit],
  ['gte', '>=', (n: number, limit: number) => n >= limit],
  ['lt', '<', (n: number, limit: number) => n < limit],
  ['lte', '<=', (n: number, limit: number) => n <= limit],
] as const;

function numericBounds(input: OperatorsInput): ValueMatcher | undefined {
  const active = BOUNDS.flatMap(([key, symbol, compare]) => {
    const limit = input[key];
    return limit === undefined
      ? []
      : [{ text: `${symbol} ${limit}`, holds: (n: number) => compare(n, limit) }];
  });
  if (active.length === 0) return undefined;
  return simple(`is ${active.map((b) => b.text).join(' and ')}`, (value, present) => {
    const n = present ? asNumber(value) : undefined;
    return n !== undefined && active.every((b) => b.holds(n));
  });
}

function compileOperators(
  input: Record<string, unknown>,
  path: YamlPath,
  ctx: MatcherContext,
): ValueMatcher | undefined {
  const checked = checkOperators(input, path, (at, message, key) =>
    ctx.problem(at, 'POLICY_INVALID', message, key),
  );
  let failed = !checked.ok;
  // Only operators whose values have the right type are read below; the others were reported.
  const op = Object.fromEntries(
    Object.entries(input).filter(([key]) => checked.valid.has(key)),
  ) as OperatorsInput;
  const nested = (value: unknown, at: YamlPath): ValueMatcher | undefined => {
    const compiled = compileMatcher(value, at, ctx);
    if (!compiled) failed = true;
    return compiled;
  };
  const present = (matchers: Array<ValueMatcher | undefined>) =>
    matchers.filter((m): m is ValueMatcher => m !== undefined);
  const ignoreCase = op.ignoreCase === true;
  const note = ignoreCase ? ' (ignoring case)' : '';
  const matchers: ValueMatcher[] = [];

  if ('equals' in op) {
    const expected = op.equals;
    matchers.push(
      simple(`equals ${showConstant(expected)}${note}`, (v, p) => p && jsonEqual(v, expected, ignoreCase)),
    );
  }
  if (op.oneOf !== undefined) {
    const options = op.oneOf;
    matchers.push(
      simple(
        `is one of ${showConstant(options)}${note}`,
        (v, p) => p && options.some((option) => jsonEqual(v, option, ignoreCase)),
      ),
    );
  }
  if (op.regex !== undefined) {
    const regex = ctx.regex(op.regex, op.flags ?? '', [...path, 'regex']);
    // Security: built without g/y, so test() keeps no state between calls.
    if (regex)
      matchers.push(simple(`matches ${regex}`, (v, p) => p && typeof v === 'string' && regex.test(v)));
    else failed = true;
  }
  if ('contains' in op) matchers.push(contains(op.contains, ignoreCase, note));
  const bounds = numericBounds(op);
  if (bounds) matchers.push(bounds);
  if (op.exists !== undefined) {
    const wanted = op.exists;
    matchers.push(simple(wanted ? 'exists' : 'is absent', (_v, p) => p === wanted));
  }
  if ('not' in op) {
    const inner = nested(op.not, [...path, 'not']);
    if (inner) matchers.push(not(inner));
  }
  if (op.any !== undefined) {
    matchers.push(anyOf(present(op.any.map((m, i) => nested(m, [...path, 'any', i])))));
  }
  if (op.all !== undefined) {
    matchers.push(allOf(present(op.all.map((m, i) => nested(m, [...path, 'all', i])))));
  }
  if ('anyItem' in op) {
    const inner = nested(op.anyItem, [...path, 'anyItem']);
    if (inner) matchers.push(anyItem(inner));
  }
  return failed ? undefined : allOf(matchers);
}

/**
 * Checks and compiles one matcher as written in YAML. A scalar is shorthand for `equals`; a mapping's operators are
 * ANDed. Returns undefined when a problem was reported through `ctx`; every problem is reported (the caller
 * collects them all before failing).
 */
export function compileMatcher(
  input: unknown,
  path: YamlPath,
  ctx: MatcherContext,
): ValueMatcher | undefined {
  if (
    input === null ||
    typeof input === 'string' ||
    typeof input === 'number' ||
    typeof input === 'boolean'
  ) {
    return simple(`equals ${showConstant(input)}`, (v, p) => p && v === input);
  }
  if (typeof input !== 'object' || Array.isArray(input)) {
    ctx.problem(path, 'POLICY_INVALID', notAMatcherMessage(input, path));
    return undefined;
  }
  return compileOperators(input as Record<string, unknown>, path, ctx);
}
