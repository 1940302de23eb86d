// The policy file format as zod schemas: the shape an operator writes, validated strictly (unknown keys are errors).
// Argument matchers are checked by operators.ts (value types, operator combinations); regex syntax and ReDoS by
// regex-safety.ts, from compile.ts.
import { z } from 'zod';
import { ACTIONS, RISKS } from './types.js';

/** Longest regex source accepted in a rule or a redact pattern. Longer patterns are usually a mistake and slow to check. */
export const MAX_REGEX_LENGTH = 500;
/** Longest glob accepted for `server` / `tool`. */
export const MAX_GLOB_LENGTH = 200;
/** Longest approval timeout: timers in Node overflow past 2^31 ms (~24.8 days); a week is plenty for a human. */
export const MAX_TIMEOUT_MS = 7 * 24 * 60 * 60 * 1000;

/** Regex flags allowed in policies. `g` and `y` make `test()` stateful (it moves `lastIndex`), so they are refused. */
export const REGEX_FLAGS_PATTERN = /^[imsu]*$/;

const riskSchema = z.enum(RISKS);
const actionSchema = z.enum(ACTIONS);

const regexSource = z
  .string()
  .min(1, 'must not be empty')
  .max(
    MAX_REGEX_LENGTH,
    `is longer than ${MAX_REGEX_LENGTH} characters; split the rule or simplify the pattern`,
  );
const regexFlags = z
  .string()
  .regex(
    REGEX_FLAGS_PATTERN,
    'may only use the flags i, m, s, u (g and y make matching stateful; they are refused)',
  );

const globSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(MAX_GLOB_LENGTH, `is longer than ${MAX_GLOB_LENGTH} characters`);
const globsSchema = z.union([globSchema, z.array(globSchema).min(1, 'must list at least one glob')], {
  error: () => 'expected a glob (`write_*`) or a list of globs (`[read_*, list_*]`)',
});

/** Input form of an argument matcher: a scalar (shorthand for `equals`) or an object of operators, ANDed. */
export type MatcherInput = string | number | boolean | null | OperatorsInput;

/**
 * The operators, as matchers.ts reads them once operators.ts has checked each value's type. They are checked by hand
 * rather than by a zod union: a union can only say "none of the shapes fit", where an operator wants to hear
 * `args.size.gt: expected a number, got "abc"` at the value that is wrong, next to every other problem of the rule.
 */
export interface OperatorsInput {
  equals?: unknown;
  oneOf?: unknown[];
  regex?: string;
  flags?: string;
  contains?: unknown;
  ignoreCase?: boolean;
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
  exists?: boolean;
  not?: MatcherInput;
  any?: MatcherInput[];
  all?: MatcherInput[];
  anyItem?: MatcherInput;
}

/** Operator names, for "unknown operator" messages. */
export const OPERATOR_KEYS = [
  'equals',
  'oneOf',
  'regex',
  'flags',
  'contains',
  'ignoreCase',
  'gt',
  'gte',
  'lt',
  'lte',
  'exists',
  'not',
  'any',
  'all',
  'anyItem',
] as const;

export const annotationsMatchSchema = z.strictObject({
  readOnlyHint: z.boolean().optional(),
  destructiveHint: z.boolean().optional(),
  idempotentHint: z.boolean().optional(),
  openWorldHint: z.boolean().optional(),
});

export const matchSchema = z.strictObject({
  server: globsSchema.optional(),
  tool: globsSchema.optional(),
  annotations: annotationsMatchSchema.optional(),
  // Keys and matchers are checked by compile.ts / matchers.ts, each problem at its own key or value.
  args: z.record(z.string(), z.unknown()).optional(),
});

const DURATION_HINT = 'expected a duration such as 30s, 15m, 2h, 1d, or a number of milliseconds';

/** `30s`, `15m`, `2h`, `1d`, `500ms`, or a number of milliseconds; at most MAX_TIMEOUT_MS. */
export const timeoutSchema = z
  .union([z.number(), z.string()], { error: () => DURATION_HINT })
  .transform((value, ctx) => {
    const ms = parseDuration(value);
    let problem: string | undefined;
    if (Number.isNaN(ms)) problem = DURATION_HINT;
    else if (!Number.isInteger(ms)) problem = `expected a whole number of milliseconds, got ${value}`;
    else if (ms <= 0 || ms > MAX_TIMEOUT_MS) {
      problem = `must be between 1 ms and 7 days, got ${typeof value === 'string' ? value : `${value} ms`}`;
    }
    if (problem === undefined) return ms;
    ctx.addIssue({ code: 'custom', message: problem });
    return z.NEVER;
  });

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds from `30s` / `15m` / `2h` / `1d` / `500ms`, or the number itself. */
export function parseDuration(value: number | string): number {
  if (typeof value === 'number') return value;
  const found = /^(\d+)(ms|s|m|h|d)$/.exec(value);
  if (!found) return Number.NaN;
  return Number(found[1]) * (DURATION_UNITS[found[2]!] ?? Number.NaN);
}

export const RULE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const REVIEWER_PATTERN = /^(user|group):\S+$/;

export const ruleSchema = z.strictObject({
  id: z
    .string()
    .regex(RULE_ID_PATTERN, 'rule ids are 1-64 letters, digits, _, . or -, starting with a letter or digit'),
  description: z.string().optional(),
  match: matchSchema.optional(),
  risk: riskSchema,
  action: actionSchema.optional(),
  reason: z.string().min(1).optional(),
  reviewers: z
    .array(z.string().regex(REVIEWER_PATTERN, 'reviewers are written user:<id> or group:<name>'))
    .optional(),
  quorum: z.number().int().min(1, 'must be at least 1').optional(),
  timeout: timeoutSchema.optional(),
});

export const defaultsSchema = z.strictObject({
  risk: riskSchema.optional(),
  actions: z
    .strictObject({
      low: actionSchema.optional(),
      medium: actionSchema.optional(),
      high: actionSchema.optional(),
      critical: actionSchema.optional(),
    })
    .optional(),
  annotations: z.boolean().optional(),
});

const redactPatternSchema = z.union(
  [regexSource, z.strictObject({ regex: regexSource, flags: regexFlags.optional() })],
  { error: () => "expected a regex string ('AKIA[0-9A-Z]{16}') or { regex: ..., flags: i }" },
);

export const redactSchema = z.strictObject({
  keys: z.array(z.string().min(1, 'must not be empty')).optional(),
  patterns: z.array(redactPatternSchema).optional(),
});

export const policyFileSchema = z.strictObject({
  defaults: defaultsSchema.optional(),
  redact: redactSchema.optional(),
  rules: z.array(ruleSchema).optional(),
});

export type PolicyFileInput = z.infer<typeof policyFileSchema>;
export type RuleInput = z.infer<typeof ruleSchema>;
export type MatchInput = z.infer<typeof matchSchema>;
export type DefaultsInput = z.infer<typeof defaultsSchema>;
