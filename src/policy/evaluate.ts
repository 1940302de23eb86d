// The per-call path: run the compiled rules against one tool call and pick the verdict. No parsing, no regex
// building, no I/O here: everything was prepared by compile.ts.
import type {
  Action,
  PolicyCall,
  PolicyRuleSummary,
  PolicyVerdict,
  RedactionSettings,
  Risk,
  RuleMatch,
} from './types.js';
import { ACTIONS, RISKS } from './types.js';
import { BUILT_IN_REDACT_KEYS, BUILT_IN_REDACT_PATTERNS } from './redaction.js';
import { resolveArgPath } from './arg-paths.js';

/** Shows an argument value in a `why` line, with secrets masked. */
export type ShowValue = (value: unknown, path: readonly string[]) => string;

/** One condition of a rule: the `why` line when it holds, else null. */
export type Condition = (call: PolicyCall, args: Record<string, unknown>, show: ShowValue) => string | null;

/** A rule as the evaluator runs it: what it decides (its summary) and the conditions that must all hold. */
export interface CompiledRule extends PolicyRuleSummary {
  conditions: Condition[];
}

/** The merged `defaults` of every loaded file. */
export interface PolicyDefaults {
  /** Risk of a call no rule matches. */
  risk: Risk;
  /** Risk → action, for rules without `action` and for defaults. */
  actions: Record<Risk, Action>;
  /** Whether readOnlyHint / destructiveHint set the risk of unmatched calls. */
  annotations: boolean;
  /** Where `defaults.risk` was last set, when a file set it (shown by explain). */
  riskSource?: { file: string; line: number };
}

/** Used when no file sets a default: medium risk, low/medium allow, high approve, critical deny, annotations on. */
export const BUILT_IN_DEFAULTS: PolicyDefaults = Object.freeze({
  risk: 'medium',
  actions: Object.freeze({ low: 'allow', medium: 'allow', high: 'approve', critical: 'deny' }),
  annotations: true,
}) as PolicyDefaults;

export interface PolicyModel {
  version: string;
  rules: readonly CompiledRule[];
  defaults: PolicyDefaults;
  redaction: RedactionSettings;
}

const MASK = '[redacted]';
const MAX_SHOWN = 80;
/** Only this much of a string is scanned by redact patterns before it is cut for display. */
const SCANNED = 400;

/** Lowercase without `-`, `_`, `.` and spaces, so `X-Api-Key` and `api_key` compare equal. */
function normalizeKey(key: string): string {
  return key.toLowerCase().replace(/[-_. ]/g, '');
}

/**
 * Renders argument values for `why` lines. Security: why lines reach the audit log and approval cards, so values
 * under a secret-looking key are masked, token shapes (built-in and the policy's redact patterns) are masked, and
 * objects and lists are summarised, never shown.
 */
export function createShowValue(redaction: RedactionSettings): ShowValue {
  const keys = [...BUILT_IN_REDACT_KEYS, ...redaction.keys].map(normalizeKey).filter((k) => k !== '');
  const patterns = [
    ...BUILT_IN_REDACT_PATTERNS.map((source) => new RegExp(source, 'g')),
    ...redaction.patterns,
  ];
  return (value, path) => {
    if (path.some((segment) => keys.some((key) => normalizeKey(segment).includes(key)))) return MASK;
    if (Array.isArray(value)) return `(list of ${value.length})`;
    if (value !== null && typeof value === 'object') return '(object)';
    if (typeof value !== 'string') return String(value);
    let text = value.slice(0, SCANNED);
    for (const pattern of patterns) text = text.replace(pattern, MASK);
    const cut = text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text;
    return JSON.stringify(cut);
  };
}

const ACTION_RANK: Record<Action, number> = Object.fromEntries(ACTIONS.map((a, i) => [a, i])) as Record<
  Action,
  number
>;
const RISK_RANK: Record<Risk, number> = Object.fromEntries(RISKS.map((r, i) => [r, i])) as Record<
  Risk,
  number
>;

function defaultMatch(model: PolicyModel, call: PolicyCall): RuleMatch {
  const { defaults } = model;
  const hints = call.annotations;
  if (defaults.annotations && hints?.destructiveHint === true) {
    return {
      ruleId: 'default:annotation:destructiveHint',
      risk: 'high',
      action: defaults.actions.high,
      why: ['no rule matched; the tool is annotated destructiveHint: true'],
    };
  }
  if (defaults.annotations && hints?.readOnlyHint === true) {
    return {
      ruleId: 'default:annotation:readOnlyHint',
      risk: 'low',
      action: defaults.actions.low,
      why: ['no rule matched; the tool is annotated readOnlyHint: true'],
    };
  }
  const match: RuleMatch = {
    ruleId: 'default:unmatched',
    risk: defaults.risk,
    action: defaults.actions[defaults.risk],
    why: [`no rule matched; the default risk is ${defaults.risk}`],
  };
  if (defaults.riskSource) {
    match.file = defaults.riskSource.file;
    match.line = defaults.riskSource.line;
  }
  return match;
}

/**
 * Evaluates one call: every matching rule is recorded; the most restrictive action decides (deny > approve >
 * allow), ties go to the higher risk, then to the earlier rule. The verdict's risk is the highest among matches.
 * With no match, annotation defaults apply (destructiveHint → high, else readOnlyHint → low), else the default risk.
 */
export function evaluatePolicy(model: PolicyModel, call: PolicyCall, showValue: ShowValue): PolicyVerdict {
  const args =
    call.args !== null && typeof call.args === 'object' && !Array.isArray(call.args)
      ? call.args
      : ({} as Record<string, unknown>);
  // Security: given the arguments as the audit log stores them, a why line shows the value from there (the redactor
  // saw every key, inline secret and sibling), then summarised; a value whose key was itself masked is not shown.
  const redacted = call.redactedArgs;
  const show: ShowValue =
    redacted === undefined
      ? showValue
      : (_value, path) => {
          const found = resolveArgPath(redacted, path);
          return found.present ? showValue(found.value, path) : MASK;
        };
  const fired: Array<{ rule: CompiledRule; why: string[] }> = [];
  for (const rule of model.rules) {
    const why: string[] = [];
    let holds = true;
    for (const condition of rule.conditions) {
      const line = condition(call, args, show);
      if (line === null) {
        holds = false;
        break;
      }
      why.push(line);
    }
    if (holds)
      fired.push({ rule, why: why.length > 0 ? why : ['the rule has no conditions: it matches every call'] });
  }

  if (fired.length === 0) {
    const match = defaultMatch(model, call);
    const reason =
      match.ruleId === 'default:unmatched'
        ? `no policy rule matched: default risk ${match.risk}`
        : `no policy rule matched; ${match.ruleId.slice('default:annotation:'.length)} annotation: risk ${match.risk}`;
    return {
      risk: match.risk,
      action: match.action,
      reason,
      decidingRule: match.ruleId,
      matches: [match],
      reviewers: [],
      quorum: 1,
      policyVersion: model.version,
    };
  }

  let decider = fired[0]!;
  let risk = decider.rule.risk;
  for (const candidate of fired) {
    const a = candidate.rule;
    const b = decider.rule;
    const rank = ACTION_RANK[a.action] - ACTION_RANK[b.action] || RISK_RANK[a.risk] - RISK_RANK[b.risk];
    if (rank > 0) decider = candidate;
    if (RISK_RANK[a.risk] > RISK_RANK[risk]) risk = a.risk;
  }
  const toMatch = ({ rule, why }: { rule: CompiledRule; why: string[] }): RuleMatch => {
    const match: RuleMatch = {
      ruleId: rule.id,
      file: rule.file,
      line: rule.line,
      risk: rule.risk,
      action: rule.action,
      why,
    };
    if (rule.reason !== undefined) match.reason = rule.reason;
    return match;
  };
  const deciding = decider.rule;
  const verdict: PolicyVerdict = {
    risk,
    action: deciding.action,
    reason: deciding.reason ?? `rule ${deciding.id}: risk ${deciding.risk}`,
    decidingRule: deciding.id,
    matches: [toMatch(decider), ...fired.filter((f) => f !== decider).map(toMatch)],
    reviewers: [...deciding.reviewers],
    quorum: deciding.quorum,
    policyVersion: model.version,
  };
  if (deciding.timeoutMs !== undefined) verdict.timeoutMs = deciding.timeoutMs;
  return verdict;
}
