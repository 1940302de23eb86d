// Public surface of the redaction module: masking secrets, canonical JSON, argument hashes and excerpts.
export { createRedactor, REDACTED, TRUNCATED, CIRCULAR, MAX_REDACT_DEPTH } from './redactor.js';
export type { Redactor, RedactSettings } from './redactor.js';
export {
  BUILTIN_SECRET_KEYS,
  BUILTIN_SECRET_PATTERNS,
  BUILTIN_SECRET_SOURCE,
  SECRET_KEY_WORD,
} from './patterns.js';
export { canonicalJson, hashArguments, sha256Hex } from './canonical.js';
export { excerpt } from './excerpt.js';
