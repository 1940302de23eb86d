// Public surface of the policy engine: load, compile, evaluate, explain and hot-reload YAML risk policies.
// Anything exported here is public API for the gateway and the CLI.
export * from './types.js';
export { compilePolicySources, policyVersion, type CompileOptions, type PolicySource } from './compile.js';
export {
  loadPolicyFiles,
  readPolicySources,
  uniquePolicyPaths,
  type LoadPolicyOptions,
  type ReadPolicyOptions,
} from './load.js';
export { watchPolicyFiles, type PolicyWatcher, type WatchPolicyOptions } from './watch.js';
export {
  explainCall,
  formatExplanation,
  formatDuration,
  formatRuleCount,
  type Explanation,
  type ExplainedRule,
} from './explain.js';
export { BUILT_IN_DEFAULTS, type PolicyDefaults } from './evaluate.js';
export { resolveArgPath } from './arg-paths.js';
export { BUILT_IN_REDACT_KEYS, BUILT_IN_REDACT_PATTERNS } from './redaction.js';
export {
  buildSafeRegex,
  checkRegexSafety,
  compileRegex,
  regexCheckKey,
  REGEX_CHECK_TIMEOUT_MS,
  type RegexCheckCache,
  type RegexOutcome,
  type RegexSafety,
  type RegexSafetyRequest,
} from './regex-safety.js';
export { openRegexCheckCache } from './regex-cache.js';
export { parseDuration, MAX_REGEX_LENGTH, MAX_TIMEOUT_MS } from './schema.js';
