// Built-in redaction for the policy engine: secret key names (always part of CompiledPolicy.redaction.keys) and
// token shapes masked in the argument excerpts of `why` lines. The redact module masks the audit log and cards with
// its own built-ins plus the policy's settings; policy files add to these, they cannot remove them.

/**
 * Key names whose values are masked: a key matches when, lowercased and without `-`, `_`, `.` and spaces, it
 * contains one of these normalised the same way (`access_token`, `DB_PASSWORD`, `X-Api-Key`).
 */
export const BUILT_IN_REDACT_KEYS: readonly string[] = [
  'password',
  'passwd',
  'secret',
  'token',
  'authorization',
  'cookie',
  'session',
  'api_key',
  'access_key',
  'private_key',
  'credential',
];

/**
 * Well-known credential shapes, masked in the argument excerpts of `why` lines. Constants: the test suite proves
 * them free of catastrophic backtracking with recheck, so loading does not re-check them.
 */
export const BUILT_IN_REDACT_PATTERNS: readonly string[] = [
  // AWS access key ids
  '\\b(?:AKIA|ASIA)[0-9A-Z]{16}\\b',
  // GitHub tokens (classic and fine-grained)
  '\\bgh[pousr]_[A-Za-z0-9]{36,255}\\b',
  '\\bgithub_pat_[A-Za-z0-9_]{22,255}\\b',
  // Slack tokens
  '\\bxox[abprs]-[A-Za-z0-9-]{10,255}',
  // Bearer credentials in header-like text
  '\\b[Bb]earer [A-Za-z0-9._~+/-]{16,4096}=*',
  // PEM private key headers
  '-----BEGIN [A-Z ]{0,40}PRIVATE KEY-----',
  // OpenAI / Anthropic style API keys
  '\\bsk-[A-Za-z0-9_-]{32,200}',
  // Passwords inside database and broker URLs (user:password@)
  '(postgres(ql)?|mysql|mongodb(\\+srv)?|redis|amqp)://[^:/\\s@]+:[^@\\s/]+@',
];
