// Deciding whether a key name (of an object, or written inline as `key=value`) holds a secret.
import { BUILTIN_SECRET_KEYS, SECRET_KEY_WORD } from './patterns.js';

/** Key names longer than this are checked every time rather than remembered (they come from the agent). */
const MAX_REMEMBERED_KEY_LENGTH = 256;

/**
 * A test for secret key names: true when the name, lowercased and without `-`, `_`, `.` and spaces, contains one of
 * BUILTIN_SECRET_KEYS or `extraKeys` (normalized the same way), or when one of its words is a SECRET_KEY_WORD.
 * `extraKeys` (from policies) always match as substrings, like the built-in list. Compiled once; the test is pure.
 */
export function createSecretKeyTest(extraKeys: readonly string[]): (key: string) => boolean {
  const names = [...BUILTIN_SECRET_KEYS, ...extraKeys].map(normalizeKey).filter((name) => name.length > 0);
  const substring = new RegExp([...new Set(names)].map(escapeRegExp).join('|'));
  return (key) => substring.test(normalizeKey(key)) || SECRET_KEY_WORD.test(keyWords(key));
}

/**
 * `compute` with its answers remembered per key, for the few key names tools use on every call. Bounded (it starts
 * over after `max` names) because key names come from the agent; long names are not remembered.
 */
export function remember<T>(compute: (key: string) => T, max: number): (key: string) => T {
  const known = new Map<string, T>();
  return (key) => {
    const remembered = known.get(key);
    if (remembered !== undefined || known.has(key)) return remembered as T;
    const answer = compute(key);
    if (key.length <= MAX_REMEMBERED_KEY_LENGTH) {
      if (known.size >= max) known.clear();
      known.set(key, answer);
    }
    return answer;
  };
}

function normalizeKey(key: string): string {
  return key.toLowerCase().replace(/[-_.\s]/g, '');
}

/** The words of a key name, lowercase and joined by `_`: `X-Auth-Token` → `x_auth_token`, `smtpPass2` → `smtp_pass_`. */
function keyWords(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z]+/g, '_');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
