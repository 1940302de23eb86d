// Policy text → CompiledPolicy: parse YAML with positions, validate and compile each rule (compile-rule.ts), check
// every regex of every file for ReDoS in one batch, merge defaults and redaction. No file I/O, so the loader and
// tests share it.
//
// Several files combine in the order given:
// - rules: all rules of all files, in file order; ids must be unique across files;
// - defaults: the later file wins per key (`risk`, `annotations`, and each entry of `actions` separately), so a
//   site file loaded after a base file overrides only what it names; keys no file sets keep the built-in defaults;
// - redact: keys of every file are added to the built-in key names, patterns of every file are collected (the
//   redactor adds its own built-in token shapes); nothing removes a built-in.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { LineCounter, isScalar, parseDocument } from 'yaml';
import { z } from 'zod';
import type { SourceLocation } from '../errors.js';
import { formatLocation } from '../errors.js';
import { compileRule, createFileContext, isMapping } from './compile-rule.js';
import type { FileRule, PendingRegexCheck, RuleIdSite } from './compile-rule.js';
import { BUILT_IN_DEFAULTS, createShowValue, evaluatePolicy } from './evaluate.js';
import type { CompiledRule, PolicyDefaults, PolicyModel } from './evaluate.js';
import { locate, policyError, policyIssueMessage, problemsFromZod } from './problems.js';
import type { Problem, YamlPath, YamlSource } from './problems.js';
import { BUILT_IN_REDACT_KEYS } from './redaction.js';
import { checkRegexSafety, type RegexCheckCache } from './regex-safety.js';
import { RULE_ID_PATTERN, policyFileSchema } from './schema.js';
import type { PolicyFileInput } from './schema.js';
import type { CompiledPolicy, PolicyRuleSummary, RedactionSettings } from './types.js';

/** One policy file's name (used in messages and, by base name, in the version) and its text. */
export interface PolicySource {
  file: string;
  text: string;
}

export interface CompileOptions {
  /** Patterns already proven safe are not re-checked (see openRegexCheckCache); safe results are added to it. */
  regexCache?: RegexCheckCache;
  /**
   * Check the patterns of the shipped example policies too, which the package trusts as proven (shipped-regexes.ts):
   * for the test that proves them.
   */
  proveShipped?: boolean;
  /** recheck's limit per pattern (default REGEX_CHECK_TIMEOUT_MS); a pattern not proven in time is refused. */
  regexTimeoutMs?: number;
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
  rules: FileRule[];
  patterns: RegExp[];
}

const EXPECTED_FILE =
  'expected a mapping with the key rules (a list of rules) and optionally defaults and redact';
const NO_RULES_HINT = 'write rules: [] if this file deliberately has no rules';

/** The result of one file: its parts when its top level is sound, and whatever was found wrong. */
interface FileResult {
  parts?: FileParts;
  problems: Problem[];
  ids: RuleIdSite[];
  pending: PendingRegexCheck[];
}

/**
 * An argument path written as a plain YAML key that starts with `*` (`**.password: …`): YAML reads it as an alias,
 * and its own errors (`Unexpected scalar at node end`) do not say so. Found by the line that holds it.
 */
function unquotedStarKey(text: string): { line: number; column: number; message: string } | undefined {
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const found = /^(\s*(?:-\s+)?|.*?[{,]\s*)(\*[^\s:,{}'"]*)\s*:(?:\s|$)/.exec(lines[i]!);
    if (!found || lines[i]!.trimStart().startsWith('#')) continue;
    const key = found[2]!;
    return {
      line: i + 1,
      column: found[1]!.length + 1,
      message: `invalid YAML: the key ${key} starts with *, which YAML reads as an alias: quote it ('${key}')`,
    };
  }
  return undefined;
}

/**
 * Parses and compiles one file; returns its problems instead of throwing. Regexes are built here but their safety
 * check is left in `pending`, for one batch over every file.
 *
 * Security: a file that holds nothing (empty, only comments, `{}`, or `null`) is refused rather than read as "no
 * rules": an editor that truncates the file while saving, or a deploy that writes it half-way, would otherwise
 * switch every deny rule off, and a hot reload would apply that. A file that says so, `rules: []`, is accepted, as
 * is one with only `defaults` or `redact` (a base file of defaults, a shared list of redact patterns): both are
 * written on purpose, and the rule count `warden policy check` prints shows what was loaded.
 */
function compileFile(policySource: PolicySource): FileResult {
  const lineCounter = new LineCounter();
  // `merge`: YAML's `<<: *anchor` merge keys, which a shared block of matchers is often written with.
  const doc = parseDocument(policySource.text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
    merge: true,
  });
  const source: YamlSource = { file: policySource.file, doc, lineCounter };
  if (doc.errors.length > 0) {
    const star = unquotedStarKey(policySource.text);
    if (star) {
      const { line, column, message } = star;
      const problem: Problem = {
        code: 'POLICY_PARSE',
        location: { file: policySource.file, line, column },
        message,
      };
      return { problems: [problem], ids: [], pending: [] };
    }
    const problems = doc.errors.map((error): Problem => {
      const { line, col } = lineCounter.linePos(error.pos[0]);
      return {
        code: 'POLICY_PARSE',
        location: { file: policySource.file, line, column: col },
        message: error.message.startsWith('Source contains multiple documents')
          ? 'a policy file holds one YAML document, and this one starts another (---): put its rules in one document, or in another file'
          : `invalid YAML: ${error.message.split('\n')[0]}`,
      };
    });
    return { problems, ids: [], pending: [] };
  }
  // `---` with nothing after it is an empty document too (an implicit null, not a written one).
  const contents = doc.contents;
  if (isScalar(contents) && contents.value === null && contents.source === '') doc.contents = null;
  const raw: unknown = doc.toJS();
  const ctx = createFileContext(source, raw);
  const ids: RuleIdSite[] = [];
  const result = (parts?: FileParts): FileResult => ({
    ...(parts ? { parts } : {}),
    problems: ctx.problems,
    ids,
    pending: ctx.pending,
  });
  if (doc.contents === null || raw === null || raw === undefined) {
    const what =
      doc.contents === null ? 'the file is empty (or holds only comments)' : 'the file holds only null';
    ctx.problem([], 'POLICY_INVALID', `${what}: ${EXPECTED_FILE}; ${NO_RULES_HINT}`);
    return result();
  }
  if (!isMapping(raw)) {
    ctx.problem([], 'POLICY_INVALID', 'a policy file is a mapping with the keys defaults, redact and rules');
    return result();
  }
  if (Object.keys(raw).length === 0) {
    ctx.problem([], 'POLICY_INVALID', `the file holds an empty mapping: ${EXPECTED_FILE}; ${NO_RULES_HINT}`);
    return result();
  }
  let topInput: Record<string, unknown> = raw;
  if (raw.rules === null) {
    ctx.problem(['rules'], 'POLICY_INVALID', `expected a list of rules, got nothing; ${NO_RULES_HINT}`);
    topInput = { ...raw, rules: [] };
  }
  const top = topLevelSchema.safeParse(topInput, { error: policyIssueMessage });
  if (!top.success) ctx.problems.push(...problemsFromZod(source, raw, top.error.issues));
  // Rules are checked even when the top level has problems, so one run reports everything.
  const rules: FileParts['rules'] = [];
  (Array.isArray(raw.rules) ? raw.rules : []).forEach((rawRule: unknown, index) => {
    const at: YamlPath = ['rules', index];
    const id = isMapping(rawRule) ? rawRule.id : undefined;
    if (typeof id === 'string' && RULE_ID_PATTERN.test(id)) ids.push({ id, location: locate(source, at) });
    const compiled = compileRule(rawRule, at, ctx);
    if (compiled) rules.push(compiled);
  });
  if (!top.success) return result();
  const parts: FileParts = { source, top: top.data, rules, patterns: [] };
  (top.data.redact?.patterns ?? []).forEach((pattern, index) => {
    const at: YamlPath = ['redact', 'patterns', index];
    const regex =
      typeof pattern === 'string'
        ? ctx.regex(pattern, '', at, 'g')
        : ctx.regex(pattern.regex, pattern.flags ?? '', [...at, 'regex'], 'g');
    if (regex) parts.patterns.push(regex);
  });
  return result(parts);
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
 * line each, naming the rule. Regexes are checked for catastrophic backtracking here (all of them in one batch,
 * blocking until done), never at evaluation. A file that holds nothing is an error, not an empty policy (compileFile).
 */
export function compilePolicySources(
  sources: readonly PolicySource[],
  options: CompileOptions = {},
): CompiledPolicy {
  const results = sources.map((source) => compileFile(source));

  // Every regex of every file is checked in one batch (several at a time): see checkRegexSafety.
  const pending = results.flatMap((result) => result.pending);
  const verdicts = checkRegexSafety(pending, options.regexCache, {
    proveShipped: options.proveShipped ?? false,
    ...(options.regexTimeoutMs !== undefined ? { timeoutMs: options.regexTimeoutMs } : {}),
  });
  verdicts.forEach((verdict, index) => {
    if (!verdict.safe) pending[index]!.report(verdict.code, verdict.message);
  });

  // Ids are compared across every rule written, valid or not: fixing one copy must not reveal a new problem.
  const seen = new Map<string, SourceLocation>();
  for (const result of results) {
    for (const { id, location } of result.ids) {
      const first = seen.get(id);
      if (!first) {
        seen.set(id, location);
        continue;
      }
      result.problems.push({
        code: 'POLICY_INVALID',
        location,
        rule: `rule "${id}"`,
        message: `duplicate rule id "${id}", first defined at ${formatLocation(first)}; ids must be unique across all loaded policy files`,
      });
    }
  }
  const problems = results.flatMap((result) => result.problems.sort(byPosition));
  options.regexCache?.flush?.();
  if (problems.length > 0) throw policyError(problems);

  const files = results.flatMap((result) => (result.parts ? [result.parts] : []));
  const defaults = mergeDefaults(files);
  const redaction = mergeRedaction(files);
  const rules: CompiledRule[] = files.flatMap((file) =>
    file.rules.map((rule) => ({ ...rule, action: rule.action ?? defaults.actions[rule.risk] })),
  );
  const model: PolicyModel = { version: policyVersion(sources), rules, defaults, redaction };
  const show = createShowValue(redaction);
  const summaries = rules.map(({ conditions: _conditions, ...rule }): PolicyRuleSummary => ({
    ...rule,
    reviewers: [...rule.reviewers],
  }));
  return {
    version: model.version,
    files: sources.map((s) => s.file),
    ruleCount: rules.length,
    rules: summaries,
    redaction,
    evaluate: (call) => evaluatePolicy(model, call, show),
  };
}
