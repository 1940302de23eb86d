// The data a policy produces: risk levels, actions and the verdict for one tool call. Pure types, no behaviour.

export const RISKS = ['low', 'medium', 'high', 'critical'] as const;
export type Risk = (typeof RISKS)[number];

/** Ordered from least to most restrictive. */
export const ACTIONS = ['allow', 'approve', 'deny'] as const;
export type Action = (typeof ACTIONS)[number];

/** MCP tool annotations as the downstream server reported them: untrusted hints. */
export interface ToolAnnotationHints {
  title?: string;
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

/** What the policy sees of one `tools/call`. */
export interface PolicyCall {
  /** Configured downstream server name (the key under `servers`). */
  server: string;
  /** The tool's name on the downstream server (not the exposed `<server>__<tool>` name). */
  tool: string;
  /** The exact arguments, as sent by the agent. */
  args: Record<string, unknown>;
  /**
   * The same arguments as the audit log stores them (`createRedactor(policy.redaction)`): `why` lines then show values
   * from here. Without them, why lines mask by the policy engine's own, narrower rules (key names, token shapes).
   */
  redactedArgs?: unknown;
  annotations?: ToolAnnotationHints;
}

/** One rule (or default) that fired for a call, and why. */
export interface RuleMatch {
  /** The rule's `id`, or `default:annotation:readOnlyHint`, `default:annotation:destructiveHint`, `default:unmatched`. */
  ruleId: string;
  /** Policy file and 1-based line of the rule; absent for built-in defaults. */
  file?: string;
  line?: number;
  risk: Risk;
  action: Action;
  reason?: string;
  /** Human-readable lines: which conditions held (`tool "write_file" matches "write_*"`, `args.path =~ /^\/etc/`). */
  why: string[];
}

/** The policy's decision for one call. Data, not an exception. */
export interface PolicyVerdict {
  risk: Risk;
  action: Action;
  /** The reason to show the agent / reviewer: the deciding rule's reason, or a generated one. */
  reason: string;
  /** The rule that decided (the most restrictive match). */
  decidingRule: string;
  /** Every rule that fired, deciding rule first. */
  matches: RuleMatch[];
  /** For the approvals issue: reviewers (`user:x`, `group:y`), quorum, timeout in ms. */
  reviewers: string[];
  quorum: number;
  timeoutMs?: number;
  /** Hash of the policy text that produced this verdict. */
  policyVersion: string;
}

/** Masking rules collected from every policy file (plus the built-in secret key names). */
export interface RedactionSettings {
  /** Key names (case-insensitive substrings) whose values are masked: built-ins plus the files' `redact.keys`. */
  keys: string[];
  /**
   * Regexes whose matches inside string values are masked. Checked for catastrophic backtracking at load. These are
   * the policy files' `redact.patterns` (built-in token shapes belong to the redactor), compiled with the `g` flag so
   * `text.replace(pattern, mask)` masks every occurrence; `test()`/`exec()` on them would carry `lastIndex` state.
   */
  patterns: RegExp[];
}

/**
 * One loaded rule, without its conditions: what tools that check a policy against its surroundings need (does each
 * rule that asks for approval name reviewers the config knows?). `action` is the effective one (the rule's, else
 * the defaults' action for its risk).
 */
export interface PolicyRuleSummary {
  id: string;
  file: string;
  line: number;
  column: number;
  risk: Risk;
  action: Action;
  reason?: string;
  /** `user:<id>` / `group:<name>` specs as written (duplicates removed); empty means the config's default reviewers. */
  reviewers: string[];
  quorum: number;
  timeoutMs?: number;
}

/** A loaded, compiled set of policy files. Evaluation only looks things up: no parsing, no regex building. */
export interface CompiledPolicy {
  /** sha256 (hex) over the files' names and texts, in order. */
  version: string;
  files: string[];
  ruleCount: number;
  /** Every rule, in evaluation order (added for `warden policy check --config`'s reviewer checks). */
  rules: readonly PolicyRuleSummary[];
  redaction: RedactionSettings;
  evaluate(call: PolicyCall): PolicyVerdict;
}
