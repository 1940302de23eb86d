// The secrets Warden masks without being told: key names that hold secrets, the shapes of common tokens, and where
// a secret is assigned inside text.

/**
 * Key names whose values are always masked. A key matches when its lowercased name, with `-`, `_`, `.` and spaces
 * removed, contains one of these (normalized the same way), so `X-Api-Key`, `db_password` and `sessionToken` match.
 * Only words no ordinary word contains belong here; shorter ones go in SECRET_KEY_WORD.
 */
export const BUILTIN_SECRET_KEYS: readonly string[] = [
  'password',
  'passwd',
  'passphrase',
  'passcode',
  'pwd',
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
  'creds',
  'jwt',
];

/**
 * Secret words that match only as a whole word of a key name, because as substrings they are parts of ordinary words
 * (`passage`, `bypass`, `compass`, `author`, `credit`, `basalt`, `hotpot`, `forbearer`). Tested against the name split
 * into lowercase words at `-`, `_`, `.`, spaces, digits and camelCase humps (`smtpPass` → `smtp_pass`, `XAuth` →
 * `x_auth`, `OTPCode` → `otp_code`): `pass`, `cred(s)`, `bearer`, `salt` and the one-time passwords `otp`, `totp` and
 * `hotp` must be a whole word; `auth` must start a word that does not go on with `or` (`auth`, `x-auth`, `authToken`,
 * `authn` and `authentication` match, `author`, `authority` and `authorize` do not; `authorization` is in the list
 * above). `pin` is left out on purpose: as a whole word it names far more pinned versions, pin numbers of boards and
 * map pins than secrets, and masking them would hide what a reviewer needs to see.
 */
export const SECRET_KEY_WORD: RegExp = /(?:^|_)(?:pass|creds?|bearer|salt|[th]?otp|auth(?!or)[a-z]*)(?:_|$)/;

/** An AWS access key id (`AKIA…` long-term, `ASIA…` temporary), as masked in text; also marks its secret's place. */
export const AWS_ACCESS_KEY_ID: RegExp = /(?:AKIA|ASIA)(?<![A-Za-z0-9].{4})[0-9A-Z]{16}(?![A-Za-z0-9])/;

/** Token shapes masked inside every string, by name (the names are for docs and tests). */
export const BUILTIN_SECRET_PATTERNS: readonly { name: string; pattern: RegExp }[] = [
  {
    // Ends at the END line, or at the end of the text when the block was cut (an excerpt): fail closed. Security: or
    // before the first `;`, `&`, `|`, `<`, `>`, `(`, `)`, `$` or backtick, which no key block holds in any encoding
    // (PEM, JSON, YAML, quoted in code), so a BEGIN line cannot hide the shell code written after it.
    name: 'pem-private-key',
    pattern:
      /-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[^;&|<>()$`]*?(?:-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|$|(?=[;&|<>()$`]))/,
  },
  // The lookbehind (instead of \b) starts a match only at the start of a token run: with \b, `eyJ-eyJ-eyJ-…` would
  // rescan the run from every `eyJ` (quadratic). For the same reason `_eyJ…` is not masked.
  { name: 'jwt', pattern: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{2,}\.eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*/ },
  { name: 'bearer', pattern: /\b[Bb]earer\s+[A-Za-z0-9._~+/-]+=*/ },
  // Credentials only: the base64 must hold a digit, `+`, `/` or `=`, so `basic training` stays readable.
  { name: 'basic-auth', pattern: /\b[Bb]asic[ \t]+(?=[A-Za-z]*[0-9+/=])[A-Za-z0-9+/]{6,}={0,2}/ },
  // The token shapes below may follow any character but a letter or digit, so a token glued to a name by `_`, `-`,
  // `.`, `=` or `:` (`id_AKIA…`, `key=sk-…`) is masked, while `task-…` or `desk_test_…` is not taken for a key. The
  // check comes after the literal prefix (`(?<![A-Za-z0-9].{4})` once `AKIA` is read), so the engine still skips
  // ahead to the prefix: a lookbehind first would run at every position (2.3x slower on a 4 kB text).
  { name: 'aws-access-key-id', pattern: AWS_ACCESS_KEY_ID },
  // GitHub tokens may follow anything, even letters (`xxghp_…`): no word is `gh?_` and 36 letters or digits.
  { name: 'github-token', pattern: /gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,}/ },
  { name: 'slack-token', pattern: /xox[baprs]-(?<![A-Za-z0-9].{5})[A-Za-z0-9-]{10,}/ },
  { name: 'openai-anthropic-key', pattern: /sk-(?<![A-Za-z0-9].{3})(?:ant-|proj-)?[A-Za-z0-9_-]{20,}/ },
  { name: 'stripe-key', pattern: /[rs]k_(?:live|test)_(?<![A-Za-z0-9].{8})[A-Za-z0-9]{16,}/ },
  { name: 'google-api-key', pattern: /AIza(?<![A-Za-z0-9].{4})[0-9A-Za-z_-]{35}/ },
  // The password of `scheme://user:password@host`; the user and host stay readable. The user may be empty
  // (`redis://:password@host`, the usual Redis and AMQP form).
  { name: 'url-password', pattern: /(?<=\b[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^\s:@/]*:)[^\s@/]+(?=@)/ },
];

/** All built-in patterns as one alternation (one pass per string on the hot path). */
export const BUILTIN_SECRET_SOURCE: string = BUILTIN_SECRET_PATTERNS.map(
  ({ pattern }) => `(?:${pattern.source})`,
).join('|');
