// `warden policy explain`: which rules fire for a call and why, as data (the JSON output) and as text for humans.
import type { CompiledPolicy, PolicyCall, PolicyVerdict, RuleMatch } from './types.js';

export interface ExplainedRule extends RuleMatch {
  /** True for the rule that decided the verdict. */
  deciding: boolean;
}

/** Everything the explain command shows: the call, the verdict and every rule that fired, deciding rule first. */
export interface Explanation {
  call: PolicyCall;
  verdict: Omit<PolicyVerdict, 'matches'>;
  policy: { version: string; files: string[]; ruleCount: number };
  rules: ExplainedRule[];
}

/** Evaluates the call and arranges the result for reading. Pure. */
export function explainCall(policy: CompiledPolicy, call: PolicyCall): Explanation {
  const { matches, ...verdict } = policy.evaluate(call);
  const { redactedArgs: _redacted, ...shown } = call;
  return {
    call: shown,
    verdict,
    policy: { version: policy.version, files: [...policy.files], ruleCount: policy.ruleCount },
    rules: matches.map((match) => ({ ...match, deciding: match.ruleId === verdict.decidingRule })),
  };
}

/** `1 rule in 1 file`, `3 rules in 2 files`: for every place that prints the size of a loaded policy. */
export function formatRuleCount(ruleCount: number, fileCount: number): string {
  const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
  return `${count(ruleCount, 'rule')} in ${count(fileCount, 'file')}`;
}

/** `15m`, `2h`, `30s`, `1500ms`. */
export function formatDuration(ms: number): string {
  const units: Array<[string, number]> = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ];
  for (const [unit, size] of units) if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

const MAX_ARGS_SHOWN = 2000;

/** The explanation as text: call, verdict, reason, then each fired rule with `file:line` and its why lines. */
export function formatExplanation(explanation: Explanation): string {
  const { call, verdict, policy, rules } = explanation;
  const args = JSON.stringify(call.args);
  const lines = [
    `call:     server "${call.server}", tool "${call.tool}"`,
    `args:     ${args.length > MAX_ARGS_SHOWN ? `${args.slice(0, MAX_ARGS_SHOWN)}…` : args}`,
  ];
  if (call.annotations && Object.keys(call.annotations).length > 0) {
    lines.push(`hints:    ${JSON.stringify(call.annotations)}`);
  }
  lines.push(
    `verdict:  ${verdict.action.toUpperCase()} (risk ${verdict.risk}), decided by ${verdict.decidingRule}`,
    `reason:   ${verdict.reason}`,
  );
  if (verdict.action === 'approve') {
    const who =
      verdict.reviewers.length > 0
        ? verdict.reviewers.join(', ')
        : "(the config's approvals.defaultReviewers)";
    const timeout = verdict.timeoutMs === undefined ? '' : `, timeout ${formatDuration(verdict.timeoutMs)}`;
    lines.push(`approval: ${who}, quorum ${verdict.quorum}${timeout}`);
  }
  lines.push(
    `policy:   version ${policy.version.slice(0, 12)} (${formatRuleCount(policy.ruleCount, policy.files.length)})`,
    '',
  );
  lines.push(
    rules.length === 1 ? 'rule that fired:' : `rules that fired (${rules.length}), deciding rule first:`,
  );
  for (const rule of rules) {
    const where = rule.file
      ? `  ${rule.file}${rule.line === undefined ? '' : `:${rule.line}`}`
      : '  (built-in default)';
    const mark = rule.deciding ? '* ' : '  ';
    lines.push(
      `${mark}${rule.ruleId}  ${rule.risk} → ${rule.action}${where}${rule.deciding ? '  (deciding)' : ''}`,
    );
    if (rule.reason && !rule.deciding) lines.push(`      reason: ${rule.reason}`);
    for (const why of rule.why) lines.push(`      ${why}`);
  }
  return lines.join('\n');
}
