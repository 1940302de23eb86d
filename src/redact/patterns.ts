// The secrets Warden masks without being told: key names that hold secrets and the shapes of common tokens.

/**
 * Key names whose values are always masked. A key matches when its lowercased name, with `-`, `_`, `.` and spaces
 * removed, contains one of these (normalized the same way), so `X-Api-Key`, `db_password` and `sessionToken` match.
 */
export const BUILTIN_SECRET_KEYS: readonly string[] = [
  'password',
  'passwd',
  'secret',
  'token',
  'authorization',
  'api_key',
  'apikey',
  'access_key',
  'private_key',
  'cookie',
  'session',
  'credential',
];

/** Token shapes masked inside every string, by name (the names are for docs and tests). */
export const BUILTIN_SECRET_PATTERNS: readonly { name: string; pattern: RegExp }[] = [
  {
    // Ends at the END line, or at the end of the text when the block was cut (an excerpt): fail closed.
    name: 'pem-private-key',
    pattern:
      /-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|$)/,
  },
  // The lookbehind (instead of \b) starts a match only at the start of a token run: with \b, `eyJ-eyJ-eyJ-…` would
  // rescan the run from every `eyJ` (quadratic).
  { name: 'jwt', pattern: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{2,}\.eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*/ },
  { name: 'bearer', pattern: /\b[Bb]earer\s+[A-Za-z0-9._~+/-]+=*/ },
  { name: 'aws-access-key-id', pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/ },
  { name: 'github-token', pattern: /\bgh[pousr]_[A-Za-z0-9]{36,}\b|\bgithub_pat_[A-Za-z0-9_]{22,}/ },
  { name: 'slack-token', pattern: /\bxox[baprs]-[A-Za-z0-9-]{10,}/ },
  { name: 'openai-anthropic-key', pattern: /\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{20,}/ },
  { name: 'stripe-key', pattern: /\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}/ },
  { name: 'google-api-key', pattern: /\bAIza[0-9A-Za-z_-]{35}/ },
  // The password of `scheme://user:password@host`; the user and host stay readable.
  { name: 'url-password', pattern: /(?<=\b[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^\s:@/]+:)[^\s@/]+(?=@)/ },
];

/** All built-in patterns as one alternation (one pass per string on the hot path). */
export const BUILTIN_SECRET_SOURCE: string = BUILTIN_SECRET_PATTERNS.map(
  ({ pattern }) => `(?:${pattern.source})`,
).join('|');
