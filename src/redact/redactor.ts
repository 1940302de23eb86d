// Masking secrets in values before they reach the audit log or a review card.
import { BUILTIN_SECRET_KEYS, BUILTIN_SECRET_SOURCE } from './patterns.js';

/** What replaces a secret. */
export const REDACTED = '[REDACTED]';
/** What replaces a value nested deeper than MAX_REDACT_DEPTH. */
export const TRUNCATED = '[TRUNCATED]';
/** What replaces a reference back to an enclosing object. */
export const CIRCULAR = '[CIRCULAR]';
/** Objects nested deeper than this are replaced by TRUNCATED. */
export const MAX_REDACT_DEPTH = 32;
/** How many key names a redactor remembers as secret or not before it starts over. */
const MAX_KNOWN_KEYS = 1024;

export interface RedactSettings {
  /** Extra secret key names (matched like the built-ins: case-insensitive substring, ignoring `-`, `_`, `.`). */
  keys: string[];
  /** Extra patterns; every match inside every string is replaced. Their flags are kept, `g` is added. */
  patterns: RegExp[];
}

/** Returns a masked deep copy of a value; never throws and never changes its input. */
export type Redactor = (value: unknown) => unknown;

/**
 * Builds the masking function used on every tool call: values under secret-looking keys become `[REDACTED]` whatever
 * they hold, and inside every string each built-in token shape and each policy pattern is replaced by `[REDACTED]`.
 * Cycles become `[CIRCULAR]`, nesting past 32 levels `[TRUNCATED]`, unreadable properties `[UNREADABLE]`.
 *
 * Everything is compiled here so the returned function only walks the value. Over-masking is the safe failure: a key
 * such as `max_tokens` contains `token` and is masked.
 */
export function createRedactor(settings: RedactSettings = { keys: [], patterns: [] }): Redactor {
  const keyNames = [...BUILTIN_SECRET_KEYS, ...settings.keys]
    .map(normalizeKey)
    .filter((name) => name.length > 0);
  const secretKey = new RegExp([...new Set(keyNames)].map(escapeRegExp).join('|'));
  // Tools use the same few argument names on every call: each name is normalized and tested once. Bounded, because
  // key names come from the agent.
  const knownKeys = new Map<string, boolean>();
  const isSecretKey = (key: string): boolean => {
    let secret = knownKeys.get(key);
    if (secret === undefined) {
      secret = secretKey.test(normalizeKey(key));
      if (knownKeys.size >= MAX_KNOWN_KEYS) knownKeys.clear();
      knownKeys.set(key, secret);
    }
    return secret;
  };
  const builtin = new RegExp(BUILTIN_SECRET_SOURCE, 'g');
  const custom = settings.patterns.map((pattern) => withGlobalFlag(pattern));

  const maskString = (text: string): string => {
    let result = text.replace(builtin, REDACTED);
    for (const pattern of custom) result = result.replace(pattern, REDACTED);
    return result;
  };

  const visit = (value: unknown, depth: number, ancestors: Set<object>): unknown => {
    if (typeof value === 'string') return maskString(value);
    if (value === null || typeof value !== 'object') return value;
    if (depth >= MAX_REDACT_DEPTH) return TRUNCATED;
    if (ancestors.has(value)) return CIRCULAR;
    ancestors.add(value);
    try {
      if (Array.isArray(value)) return value.map((item) => visit(item, depth + 1, ancestors));
      const toJSON = (value as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') return visit(toJSON.call(value), depth, ancestors);
      const copy: Record<string, unknown> = {};
      for (const key of Object.keys(value)) {
        const masked = isSecretKey(key) ? REDACTED : visit(readProperty(value, key), depth + 1, ancestors);
        // Security: a plain assignment to `__proto__` would drop the entry from the log instead of copying it.
        if (key === '__proto__') {
          Object.defineProperty(copy, key, {
            value: masked,
            enumerable: true,
            writable: true,
            configurable: true,
          });
        } else {
          copy[key] = masked;
        }
      }
      return copy;
    } catch {
      return '[UNREADABLE]';
    } finally {
      ancestors.delete(value);
    }
  };

  return (value) => visit(value, 0, new Set());
}

function readProperty(object: object, key: string): unknown {
  try {
    return (object as Record<string, unknown>)[key];
  } catch {
    return '[UNREADABLE]';
  }
}

function normalizeKey(key: string): string {
  return key.toLowerCase().replace(/[-_.\s]/g, '');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function withGlobalFlag(pattern: RegExp): RegExp {
  // Sticky matching would stop at the first gap; every match anywhere must go.
  const flags = pattern.flags.replace('y', '');
  return new RegExp(pattern.source, flags.includes('g') ? flags : `${flags}g`);
}
