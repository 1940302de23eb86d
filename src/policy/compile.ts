// Policy text → CompiledPolicy: parse YAML with positions, validate with zod, compile globs, regexes (checked for
// ReDoS) and argument paths once, merge defaults and redaction. Pure (no I/O), so the loader and tests share it.
//
// Several files combine in the order given:
// - rules: all rules of all files, in file order; ids must be unique across files;
// - defaults: the later file wins per key (`risk`, `annotations`, and each entry of `actions` separately), so a
//   site file loaded after a base file overrides only what it names; keys no file sets keep the built-in defaults;
// - redact: keys of every file are added to the built-in key names, patterns of every file are collected (the
//   redactor adds its own built-in token shapes); nothing removes a built-in.
import { createHash } from 'node:crypto';
import path from 'node:path';
import picomatch from 'picomatch';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import type { SourceLocation } from '../errors.js';
import { formatLocation } from '../errors.js';
import { BUILT_IN_DEFAULTS, createShowValue, evaluatePolicy, resolveArgPath } from './evaluate.js';
import type { CompiledRule, Condition, PolicyDefaults, PolicyModel } from './evaluate.js';
import { compileMatcher, type MatcherContext } from './matchers.js';
import { locate, policyError, problemAt, problemsFromZod } from './problems.js';
import type { PolicyErrorCode, Problem, YamlPath, YamlSource } from './problems.js';
import { BUILT_IN_REDACT_KEYS } from './redaction.js';
import { buildSafeRegex, type RegexCheckCache } from './regex-safety.js';
import { policyFileSchema, ruleSchema } from './schema.js';
import type { MatchInput, PolicyFileInput, RuleInput } from './schema.js';
import type { CompiledPolicy, RedactionSettings } from './types.js';

/** One policy file's name (used in messages and, by base name, in the version) and its text. */
export interface PolicySource {
  file: string;
  text: string;
}

export interface CompileOptions {
  /** Patterns already proven safe are not re-checked (see openRegexCheckCache); safe results are added to it. */
  regexCache?: RegexCheckCache;
}

/** sha256 (hex) over each file's base name and text, in order: the `policyVersion` stamped on every verdict. */
export function policyVersion(sources: readonly PolicySource[]): string {
  const hash = createHash('sha256');
  for (const source of sources) {
    hash.update(path.basename(source.file)).update('\0').update(source.text).update('\0');
  }
  return hash.digest('hex');
}

// The top level is validated with rules left opaque, then each rule on its own: one bad rule does not hide the
// problems of the others.
const topLevelSchema = policyFileSchema.extend({ rules: z.array(z.unknown()).optional() });

type TopLevel = Omit<PolicyFileInput, 'rules'> & { rules?: unknown[] };

/** What one file contributes before files are combined. */
interface FileParts {
  source: YamlSource;
  top: TopLevel;
  rules: Array<Omit<CompiledRule, 'action'> & { action?: CompiledRule['action'] }>;
  patterns: RegExp[];
}

/** Collects one file's problems, and builds checked regexes that report at their YAML position. */
interface FileContext extends MatcherContext {
  source: YamlSource;
  problems: Problem[];
  regex(source: string, flags: string, at: YamlPath, extraFlags?: string): RegExp | undefined;
}

function createFileContext(source: YamlSource, raw: unknown, cache?: RegexCheckCache): FileContext {
  const problems: Problem[] = [];
  const problem = (at: YamlPath, code: PolicyErrorCode, message: string) => {
    problems.push(problemAt(source, raw, code, at, message));
  };
  return {
    source,
    problems,
    problem,
    regex(pattern, flags, at, extraFlags = '') {
      const outcome = buildSafeRegex(pattern, flags, extraFlags, cache);
      if (outcome.ok) return outcome.regex;
      problem(at, outcome.code, outcome.message);
      return undefined;
    },
  };
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

function compileMatch(match: MatchInput, base: YamlPath, ctx: FileContext): Condition[] | undefined {
  const conditions: Condition[] = [];
  let failed = false;
  if (match.server !== undefined) conditions.push(globCondition('server', match.server));
  if (match.tool !== undefined) conditions.push(globCondition('tool', match.tool));
  for (const [hint, expected] of Object.entries(match.annotations ?? {})) {
    if (expected === undefined) continue;
    const key = hint as keyof NonNullable<MatchInput['annotations']>;
    conditions.push((call) =>
      call.annotations?.[key] === expected ? `annotation ${hint} is ${expected}` : null,
    );
  }
  for (const [argPath, input] of Object.entries(match.args ?? {})) {
    const matcher = compileMatcher(input, [...base, 'args', argPath], ctx);
    if (!matcher) {
      failed = true;
      continue;
    }
    // `source|destination`: holds when it holds for any present path; when none is present, for an absent argument.
    const alternatives = argPath
      .split('|')
      .map((alternative) => ({ label: alternative, segments: alternative.split('.') }));
    conditions.push((_call, args, show) => {
      let anyPresent = false;
      for (const { label, segments } of alternatives) {
        const { present, value } = resolveArgPath(args, segments);
        if (!present) continue;
        anyPresent = true;
        const held = matcher.test(value, true);
        if (held !== null) return `args.${label} ${show(value, segments)} ${held}`;
      }
      if (anyPresent) return null;
      const held = matcher.test(undefined, false);
      if (held === null) return null;
      return held === 'is absent' ? `args.${argPath} is absent` : `args.${argPath} (absent): ${held}`;
    });
  }
  return failed ? undefined : conditions;
}

function compileRule(
  input: RuleInput,
  at: YamlPath,
  ctx: FileContext,
): FileParts['rules'][number] | undefined {
  const reviewers = [...new Set(input.reviewers ?? [])];
  const quorum = input.quorum ?? 1;
  if (reviewers.length > 0 && reviewers.every((r) => r.startsWith('user:')) && quorum > reviewers.length) {
    ctx.problem(
      [...at, 'quorum'],
      'POLICY_INVALID',
      `quorum ${quorum} can never be reached by ${reviewers.length} named reviewer(s); lower it or add reviewers`,
    );
  }
  const conditions = compileMatch(input.match ?? {}, [...at, 'match'], ctx);
  if (!conditions) return undefined;
  const { line, column } = locate(ctx.source, at);
  const rule: FileParts['rules'][number] = {
    id: input.id,
    file: ctx.source.file,
    line: line ?? 1,
    column: column ?? 1,
    risk: input.risk,
    reviewers,
    quorum,
    conditions,
  };
  if (input.action !== undefined) rule.action = input.action;
  if (input.reason !== undefined) rule.reason = input.reason;
  if (input.timeout !== undefined) rule.timeoutMs = input.timeout;
  return rule;
}

/** Parses and compiles one file; returns its problems instead of throwing. */
function compileFile(
  policySource: PolicySource,
  cache?: RegexCheckCache,
): { parts?: FileParts; problems: Problem[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(policySource.text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const source: YamlSource = { file: policySource.file, doc, lineCounter };
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((error): Problem => {
      const { line, col } = lineCounter.linePos(error.pos[0]);
      return {
        code: 'POLICY_PARSE',
        location: { file: policySource.file, line, column: col },
        message: `invalid YAML: ${error.message.split('\n')[0]}`,
      };
    });
    return { problems };
  }
  const raw: unknown = doc.toJS() ?? {};
  const ctx = createFileContext(source, raw, cache);
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    ctx.problem([], 'POLICY_INVALID', 'a policy file is a mapping with the keys defaults, redact and rules');
    return { problems: ctx.problems };
  }
  const top = topLevelSchema.safeParse(raw);
  if (!top.success) ctx.problems.push(...problemsFromZod(source, raw, top.error.issues));
  // Rules are checked even when the top level has problems, so one run reports everything.
  const rawRules = (raw as { rules?: unknown }).rules;
  const rules: FileParts['rules'] = [];
  (Array.isArray(rawRules) ? rawRules : []).forEach((rawRule, index) => {
    const at: YamlPath = ['rules', index];
    const rule = ruleSchema.safeParse(rawRule);
    if (!rule.success) {
      ctx.problems.push(...problemsFromZod(source, raw, rule.error.issues, at));
      return;
    }
    const compiled = compileRule(rule.data, at, ctx);
    if (compiled) rules.push(compiled);
  });
  if (!top.success) return { problems: ctx.problems };
  const parts: FileParts = { source, top: top.data, rules, patterns: [] };
  (top.data.redact?.patterns ?? []).forEach((pattern, index) => {
    const at: YamlPath = ['redact', 'patterns', index];
    const regex =
      typeof pattern === 'string'
        ? ctx.regex(pattern, '', at, 'g')
        : ctx.regex(pattern.regex, pattern.flags ?? '', [...at, 'regex'], 'g');
    if (regex) parts.patterns.push(regex);
  });
  return { parts, problems: ctx.problems };
}

function mergeDefaults(files: readonly FileParts[]): PolicyDefaults {
  const merged: PolicyDefaults = { ...BUILT_IN_DEFAULTS, actions: { ...BUILT_IN_DEFAULTS.actions } };
  for (const { top, source } of files) {
    const defaults = top.defaults;
    if (!defaults) continue;
    if (defaults.risk !== undefined) {
      merged.risk = defaults.risk;
      merged.riskSource = { file: source.file, line: locate(source, ['defaults', 'risk']).line ?? 1 };
    }
    if (defaults.annotations !== undefined) merged.annotations = defaults.annotations;
    for (const [risk, action] of Object.entries(defaults.actions ?? {})) {
      if (action !== undefined) merged.actions[risk as keyof PolicyDefaults['actions']] = action;
    }
  }
  return merged;
}

function mergeRedaction(files: readonly FileParts[]): RedactionSettings {
  const keys = new Set(BUILT_IN_REDACT_KEYS);
  for (const { top } of files) for (const key of top.redact?.keys ?? []) keys.add(key.toLowerCase());
  return {
    keys: [...keys],
    patterns: files.flatMap((f) => f.patterns),
  };
}

const byPosition = (a: Problem, b: Problem) =>
  (a.location.line ?? 0) - (b.location.line ?? 0) || (a.location.column ?? 0) - (b.location.column ?? 0);

/**
 * Compiles policy sources into one CompiledPolicy. Every problem of every file is collected first; if there are
 * any, one WardenError (POLICY_PARSE / POLICY_INVALID / POLICY_UNSAFE_REGEX) lists them, one `file:line:column:`
 * line each, naming the rule. Regexes are checked for catastrophic backtracking here, never at evaluation.
 */
export function compilePolicySources(
  sources: readonly PolicySource[],
  options: CompileOptions = {},
): CompiledPolicy {
  const problems: Problem[] = [];
  const files: FileParts[] = [];
  for (const source of sources) {
    const result = compileFile(source, options.regexCache);
    problems.push(...result.problems.sort(byPosition));
    if (result.parts) files.push(result.parts);
  }

  const seen = new Map<string, SourceLocation>();
  for (const file of files) {
    for (const rule of file.rules) {
      const location: SourceLocation = { file: rule.file, line: rule.line, column: rule.column };
      const first = seen.get(rule.id);
      if (first) {
        problems.push({
          code: 'POLICY_INVALID',
          location,
          rule: `rule "${rule.id}"`,
          message: `duplicate rule id "${rule.id}", first defined at ${formatLocation(first)}; ids must be unique across all loaded policy files`,
        });
      } else seen.set(rule.id, location);
    }
  }
  options.regexCache?.flush?.();
  if (problems.length > 0) throw policyError(problems);

  const defaults = mergeDefaults(files);
  const redaction = mergeRedaction(files);
  const rules: CompiledRule[] = files.flatMap((file) =>
    file.rules.map((rule) => ({ ...rule, action: rule.action ?? defaults.actions[rule.risk] })),
  );
  const model: PolicyModel = { version: policyVersion(sources), rules, defaults, redaction };
  const show = createShowValue(redaction);
  return {
    version: model.version,
    files: sources.map((s) => s.file),
    ruleCount: rules.length,
    redaction,
    evaluate: (call) => evaluatePolicy(model, call, show),
  };
}
