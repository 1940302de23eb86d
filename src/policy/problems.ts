// Problems found in policy files, located at `file:line:column` in the YAML the operator wrote, and the one
// WardenError that lists them all. Also turns zod issues into messages that name the key, the rule and the fix.
import type { Document, LineCounter, Node } from 'yaml';
import { isMap, isNode, isPair, isScalar } from 'yaml';
import type { z } from 'zod';
import { WardenError, formatLocation, type SourceLocation, type WardenErrorCode } from '../errors.js';
import {
  OPERATOR_KEYS,
  annotationsMatchSchema,
  defaultsSchema,
  matchSchema,
  policyFileSchema,
  redactSchema,
  ruleSchema,
} from './schema.js';
import { RISKS } from './types.js';

export type PolicyErrorCode = Extract<
  WardenErrorCode,
  'POLICY_NOT_FOUND' | 'POLICY_PARSE' | 'POLICY_INVALID' | 'POLICY_UNSAFE_REGEX'
>;

export type YamlPath = ReadonlyArray<string | number>;

/** One thing wrong with a policy file. */
export interface Problem {
  code: PolicyErrorCode;
  location: SourceLocation;
  /** `rule "sql-drop"` or `rule #3` when the problem is inside a rule. */
  rule?: string;
  /** Where inside the file or rule: `args.query`, `defaults.risk`. */
  where?: string;
  message: string;
}

/** A parsed YAML file with what is needed to point at its nodes. */
export interface YamlSource {
  file: string;
  doc: Document.Parsed;
  lineCounter: LineCounter;
}

/** The 1-based position of a node, or of its key when `key` is given (for "unknown key" problems). */
export function locate(source: YamlSource, path: YamlPath, key?: string): SourceLocation {
  const position = (offset: number): SourceLocation => {
    const { line, col } = source.lineCounter.linePos(offset);
    return { file: source.file, line, column: col };
  };
  // The nearest node that exists: a missing key is reported where its parent is.
  for (let depth = path.length; depth >= 0; depth--) {
    const node = depth === 0 ? source.doc.contents : source.doc.getIn(path.slice(0, depth), true);
    if (!isNode(node)) continue;
    if (key !== undefined && depth === path.length && isMap(node)) {
      const pair = node.items.find(
        (item) => isPair(item) && isScalar(item.key) && String(item.key.value) === key,
      );
      const keyNode = pair?.key as Node | undefined;
      if (keyNode?.range) return position(keyNode.range[0]);
    }
    if (node.range) return position(node.range[0]);
  }
  return { file: source.file, line: 1, column: 1 };
}

/** `rule "id"` for problems under `rules[i]`, from the raw (unvalidated) data. */
export function ruleLabel(raw: unknown, path: YamlPath): string | undefined {
  if (path[0] !== 'rules' || typeof path[1] !== 'number') return undefined;
  const rules = (raw as { rules?: unknown } | null)?.rules;
  const rule = Array.isArray(rules) ? (rules[path[1]] as { id?: unknown } | undefined) : undefined;
  return typeof rule?.id === 'string' && rule.id !== '' ? `rule "${rule.id}"` : `rule #${path[1] + 1}`;
}

/** The path as the operator reads it: inside a rule, `match.` is dropped (`args.query`, `tool`). */
export function describePath(path: YamlPath): string {
  let rest = path;
  if (rest[0] === 'rules' && typeof rest[1] === 'number') {
    rest = rest.slice(2);
    if (rest[0] === 'match' && rest.length > 1) rest = rest.slice(1);
  }
  return rest.join('.');
}

/** Builds a Problem for `path`, naming the rule and the key path. */
export function problemAt(
  source: YamlSource,
  raw: unknown,
  code: PolicyErrorCode,
  path: YamlPath,
  message: string,
  key?: string,
): Problem {
  const problem: Problem = { code, location: locate(source, path, key), message };
  const rule = ruleLabel(raw, path);
  if (rule) problem.rule = rule;
  const where = describePath(path);
  if (where) problem.where = where;
  return problem;
}

function keysOf(schema: { shape: object }): string[] {
  return Object.keys(schema.shape);
}

/** What keys an object at `path` may have, and what they are called, for "unknown key" messages. */
function allowedKeys(path: YamlPath): { noun: string; keys: readonly string[] } | undefined {
  const p = path.map((part) => (typeof part === 'number' ? '#' : part));
  const at = p.join('/');
  if (p.length === 0) return { noun: 'top-level key', keys: keysOf(policyFileSchema) };
  if (at === 'defaults') return { noun: 'key', keys: keysOf(defaultsSchema) };
  if (at === 'defaults/actions') return { noun: 'risk level', keys: RISKS };
  if (at === 'redact') return { noun: 'key', keys: keysOf(redactSchema) };
  if (at === 'redact/patterns/#') return { noun: 'key', keys: ['regex', 'flags'] };
  if (at === 'rules/#') return { noun: 'rule key', keys: keysOf(ruleSchema) };
  if (at === 'rules/#/match') return { noun: 'match key', keys: keysOf(matchSchema) };
  if (at === 'rules/#/match/annotations') return { noun: 'annotation', keys: keysOf(annotationsMatchSchema) };
  if (at.startsWith('rules/#/match/args/')) return { noun: 'operator', keys: OPERATOR_KEYS };
  return undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(above + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** `unknown operator "regexx" (did you mean "regex"? expected one of: equals, oneOf, …)` */
export function unknownKeyMessage(path: YamlPath, key: string): string {
  const allowed = allowedKeys(path);
  if (!allowed) return `unknown key "${key}"`;
  const close = allowed.keys.find(
    (candidate) => candidate.toLowerCase() === key.toLowerCase() || editDistance(candidate, key) <= 2,
  );
  const hint = close ? `did you mean "${close}"? ` : '';
  return `unknown ${allowed.noun} "${key}" (${hint}expected one of: ${allowed.keys.join(', ')})`;
}

function valueAt(raw: unknown, path: YamlPath): unknown {
  let current = raw;
  for (const part of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[part];
  }
  return current;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}

const MAX_SHOWN_VALUE = 40;

/** A value as the operator wrote it, for `got …`: `"abc"`, `5`, `true`, `null`, `a list`, `a mapping`. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list';
  if (value !== null && typeof value === 'object') return 'a mapping';
  const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return shown.length > MAX_SHOWN_VALUE ? `${shown.slice(0, MAX_SHOWN_VALUE)}…` : shown;
}

/** zod's names for types, as an operator reads them. */
const TYPE_NAMES: Record<string, string> = {
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  null: 'null',
};

function typeName(expected: string): string {
  return TYPE_NAMES[expected] ?? expected;
}

function sizeRule(
  issue: { origin: string; inclusive?: boolean },
  bound: number | bigint,
  least: boolean,
): string {
  const exact = issue.inclusive !== false;
  if (issue.origin === 'string') {
    if (least && Number(bound) === 1 && exact) return 'must not be empty';
    return `must be ${least ? 'at least' : 'at most'} ${exact ? bound : Number(bound) + (least ? 1 : -1)} characters long`;
  }
  if (issue.origin === 'array' || issue.origin === 'set') {
    if (least && Number(bound) === 1 && exact) return 'must list at least one item';
    return `must list ${least ? 'at least' : 'at most'} ${exact ? bound : Number(bound) + (least ? 1 : -1)} items`;
  }
  const relation = least ? (exact ? 'at least' : 'greater than') : exact ? 'at most' : 'less than';
  return `must be ${relation} ${bound}`;
}

/**
 * Wording for the zod issues the policy schemas leave to zod's defaults (`Too small: expected number to be >0`,
 * `Invalid key in record`), passed as the per-parse error map: messages written in a schema still win.
 */
export function policyIssueMessage(issue: z.core.$ZodRawIssue): string | undefined {
  const got = `got ${describeValue(issue.input)}`;
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${typeName(issue.expected)}, ${got}`;
    case 'too_small':
      return `${sizeRule(issue, issue.minimum, true)}, ${got}`;
    case 'too_big':
      return `${sizeRule(issue, issue.maximum, false)}, ${got}`;
    case 'invalid_format':
      return `is not in the expected format (${issue.format}), ${got}`;
    case 'invalid_key':
      return `has a key that is not allowed here: ${describeValue(issue.input)}`;
    case 'invalid_union':
      return `is not one of the accepted forms, ${got}`;
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}, ${got}`;
    default:
      return undefined;
  }
}

/** Turns zod issues (paths relative to `base`) into located Problems, one per unknown key. */
export function problemsFromZod(
  source: YamlSource,
  raw: unknown,
  issues: readonly z.core.$ZodIssue[],
  base: YamlPath = [],
): Problem[] {
  const problems: Problem[] = [];
  for (const issue of issues) {
    const path: YamlPath = [...base, ...(issue.path as Array<string | number>)];
    const value = valueAt(raw, path);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        problems.push(problemAt(source, raw, 'POLICY_INVALID', path, unknownKeyMessage(path, key), key));
      }
    } else if ((issue.code === 'invalid_type' || issue.code === 'invalid_value') && value === undefined) {
      const parent = path.slice(0, -1);
      const problem = problemAt(
        source,
        raw,
        'POLICY_INVALID',
        parent,
        `missing required key "${path.at(-1)}"`,
      );
      problems.push(problem);
    } else if (issue.code === 'invalid_type') {
      const message = `expected ${typeName(issue.expected)}, got ${describeType(value)}`;
      problems.push(problemAt(source, raw, 'POLICY_INVALID', path, message));
    } else if (issue.code === 'invalid_value') {
      const expected = issue.values.map((v) => String(v)).join(', ');
      const message = `expected one of: ${expected}; got ${describeType(value)}`;
      problems.push(problemAt(source, raw, 'POLICY_INVALID', path, message));
    } else {
      problems.push(problemAt(source, raw, 'POLICY_INVALID', path, issue.message));
    }
  }
  return problems;
}

/** `file:line:col: rule "id": args.query: message` */
export function formatProblem(problem: Problem): string {
  const parts = [formatLocation(problem.location)];
  if (problem.rule) parts.push(problem.rule);
  if (problem.where) parts.push(problem.where);
  parts.push(problem.message);
  return parts.join(': ');
}

const CODE_PRIORITY: PolicyErrorCode[] = [
  'POLICY_NOT_FOUND',
  'POLICY_PARSE',
  'POLICY_INVALID',
  'POLICY_UNSAFE_REGEX',
];

/**
 * One WardenError for every problem found, one per line. The code is the gravest kind present (a missing file,
 * then unparsable YAML, then an invalid policy, then an unsafe regex); `location` is the first problem's.
 */
export function policyError(problems: readonly Problem[]): WardenError {
  const code = CODE_PRIORITY.find((c) => problems.some((p) => p.code === c)) ?? 'POLICY_INVALID';
  const lines = problems.map(formatProblem);
  const message =
    lines.length === 1
      ? lines[0]!
      : `${lines.length} problems in policy files:\n${lines.map((l) => `  ${l}`).join('\n')}`;
  return new WardenError(code, message, problems[0] ? { location: problems[0].location } : {});
}
