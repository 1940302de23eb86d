// One rule of a policy file → its compiled conditions, and the per-file context that collects problems. Every part
// of a rule is checked even when another part is wrong (zod for its keys and values, matchers.ts for its `args`),
// so one run reports every problem of the rule at its own file:line:column.
import picomatch from 'picomatch';
import type { SourceLocation } from '../errors.js';
import { parseArgPath, walkArgPath, type ArgPath } from './arg-paths.js';
import type { CompiledRule, Condition } from './evaluate.js';
import { compileMatcher, type MatcherContext, type ValueMatcher } from './matchers.js';
import { locate, policyIssueMessage, problemAt, problemsFromZod } from './problems.js';
import type { PolicyErrorCode, Problem, YamlPath, YamlSource } from './problems.js';
import { compileRegex, type RegexSafetyRequest } from './regex-safety.js';
import { ruleSchema, type MatchInput } from './schema.js';

/** A rule compiled from one file; its action is filled in from the merged defaults when it sets none. */
export type FileRule = Omit<CompiledRule, 'action'> & { action?: CompiledRule['action'] };

/** A regex whose syntax is fine, waiting for the catastrophic-backtracking check (all of them run in one batch). */
export interface PendingRegexCheck extends RegexSafetyRequest {
  report(code: PolicyErrorCode, message: string): void;
}

/** Every rule id written in a file, valid rule or not, for the duplicate check across files. */
export interface RuleIdSite {
  id: string;
  location: SourceLocation;
}

/** Collects one file's problems, and builds regexes whose safety check is queued in `pending`. */
export interface FileContext extends MatcherContext {
  source: YamlSource;
  raw: unknown;
  problems: Problem[];
  pending: PendingRegexCheck[];
  regex(source: string, flags: string, at: YamlPath, extraFlags?: string): RegExp | undefined;
}

/** A context for one parsed file (`raw` is its plain-data form, for naming rules in problems). */
export function createFileContext(source: YamlSource, raw: unknown): FileContext {
  const problems: Problem[] = [];
  const pending: PendingRegexCheck[] = [];
  const problem = (at: YamlPath, code: PolicyErrorCode, message: string, key?: string) => {
    problems.push(problemAt(source, raw, code, at, message, key));
  };
  return {
    source,
    raw,
    problems,
    pending,
    problem,
    regex(pattern, flags, at, extraFlags = '') {
      const built = compileRegex(pattern, flags, extraFlags);
      if (!built.ok) {
        problem(at, built.code, built.message);
        return undefined;
      }
      pending.push({ source: pattern, flags, report: (code, message) => problem(at, code, message) });
      return built.regex;
    },
  };
}

export function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function globCondition(field: 'server' | 'tool', globs: string | string[]): Condition {
  // `bash: true` lets `*` match any character (tool names may contain `/` or `.`); `dot` lets it match a leading dot.
  const matchers = (Array.isArray(globs) ? globs : [globs]).map((glob) => ({
    glob,
    isMatch: picomatch(glob, { bash: true, dot: true }),
  }));
  return (call) => {
    const name = call[field];
    const hit = matchers.find((m) => m.isMatch(name));
    return hit ? `${field} "${name}" matches "${hit.glob}"` : null;
  };
}

function argCondition(argPath: string, alternatives: readonly ArgPath[], matcher: ValueMatcher): Condition {
  // `source|destination`, `items.*.name`: holds when it holds for any value a path reaches; when none reaches a
  // value, for an absent argument.
  return (_call, args, show) => {
    let anyPresent = false;
    for (const alternative of alternatives) {
      const line = walkArgPath(args, alternative, (value, at) => {
        anyPresent = true;
        const held = matcher.test(value, true);
        if (held === null) return undefined;
        const path = at();
        return `args.${alternative.wild ? path.join('.') : alternative.text} ${show(value, path)} ${held}`;
      });
      if (line !== undefined) return line;
    }
    if (anyPresent) return null;
    const held = matcher.test(undefined, false);
    if (held === null) return null;
    return held === 'is absent' ? `args.${argPath} is absent` : `args.${argPath} (absent): ${held}`;
  };
}

/**
 * The `args` of a rule's match, read from the raw rule (zod leaves them opaque): every path and matcher is checked
 * and compiled even when other parts of the rule are wrong. Undefined when any problem was reported.
 */
function compileArgs(rawRule: unknown, base: YamlPath, ctx: FileContext): Condition[] | undefined {
  const match = isMapping(rawRule) ? rawRule.match : undefined;
  const args = isMapping(match) ? match.args : undefined;
  if (!isMapping(args)) return []; // absent, or a wrong type that the rule schema reports
  const conditions: Condition[] = [];
  let failed = false;
  for (const [argPath, input] of Object.entries(args)) {
    const parsed = parseArgPath(argPath);
    if ('error' in parsed) {
      ctx.problem(
        [...base, 'args'],
        'POLICY_INVALID',
        `invalid argument path "${argPath}": ${parsed.error}`,
        argPath,
      );
      failed = true;
    }
    const matcher = compileMatcher(input, [...base, 'args', argPath], ctx);
    if (matcher && 'paths' in parsed) conditions.push(argCondition(argPath, parsed.paths, matcher));
    else failed = true;
  }
  return failed ? undefined : conditions;
}

function matchConditions(match: MatchInput): Condition[] {
  const conditions: Condition[] = [];
  if (match.server !== undefined) conditions.push(globCondition('server', match.server));
  if (match.tool !== undefined) conditions.push(globCondition('tool', match.tool));
  for (const [hint, expected] of Object.entries(match.annotations ?? {})) {
    if (expected === undefined) continue;
    const key = hint as keyof NonNullable<MatchInput['annotations']>;
    conditions.push((call) =>
      call.annotations?.[key] === expected ? `annotation ${hint} is ${expected}` : null,
    );
  }
  return conditions;
}

/** A quorum that `user:` reviewers alone can never reach, judged from the raw rule so other problems do not hide it. */
function checkNamedQuorum(rawRule: unknown, at: YamlPath, ctx: FileContext): void {
  if (!isMapping(rawRule)) return;
  const reviewers = ruleSchema.shape.reviewers.safeParse(rawRule.reviewers);
  const quorum = ruleSchema.shape.quorum.safeParse(rawRule.quorum);
  if (!reviewers.success || !quorum.success) return;
  const named = [...new Set(reviewers.data ?? [])];
  const needed = quorum.data ?? 1;
  if (named.length > 0 && named.every((r) => r.startsWith('user:')) && needed > named.length) {
    ctx.problem(
      [...at, 'quorum'],
      'POLICY_INVALID',
      `quorum ${needed} can never be reached by ${named.length} named reviewer(s); lower it or add reviewers`,
    );
  }
}

/** Checks one rule completely (schema, args, quorum), reporting every problem; undefined when there was any. */
export function compileRule(rawRule: unknown, at: YamlPath, ctx: FileContext): FileRule | undefined {
  const parsed = ruleSchema.safeParse(rawRule, { error: policyIssueMessage });
  if (!parsed.success) ctx.problems.push(...problemsFromZod(ctx.source, ctx.raw, parsed.error.issues, at));
  const args = compileArgs(rawRule, [...at, 'match'], ctx);
  checkNamedQuorum(rawRule, at, ctx);
  if (!parsed.success || !args) return undefined;
  const input = parsed.data;
  const { line, column } = locate(ctx.source, at);
  const rule: FileRule = {
    id: input.id,
    file: ctx.source.file,
    line: line ?? 1,
    column: column ?? 1,
    risk: input.risk,
    reviewers: [...new Set(input.reviewers ?? [])],
    quorum: input.quorum ?? 1,
    conditions: [...matchConditions(input.match ?? {}), ...args],
  };
  if (input.action !== undefined) rule.action = input.action;
  if (input.reason !== undefined) rule.reason = input.reason;
  if (input.timeout !== undefined) rule.timeoutMs = input.timeout;
  return rule;
}
