// AWS secret access keys with no key name: 40 characters of base64 with nothing to say what they are, except the
// access key id they travel with. Masked only beside that id; on their own they look like any other long string.
import { AWS_ACCESS_KEY_ID } from './patterns.js';

/** The length of an AWS secret access key. */
const SECRET_LENGTH = 40;
/** How far after the end of an access key id (in characters) its secret may start: room for a label in between. */
const MAX_GAP = 100;

const PLUS = 43;
const SLASH = 47;
const EQUALS = 61;

/**
 * Returns a function that masks, in a text, the secret access key that follows each AWS access key id within 100
 * characters (`AKIA… wJalr…`, a `credentials.csv` row, `aws configure`'s `AWS Secret Access Key [None]: wJalr…`).
 * The key id itself is left to the built-in patterns. See isAwsSecretAccessKey for what counts as a secret; each id
 * takes the first such run after it that no earlier id took. A run glued to the id by `/` or `+` (characters a secret
 * may hold) is not told apart from it and stays. Each id reads at most 141 characters after it: the cost is linear.
 */
export function createAwsSecretMasker(marker: string): (text: string) => string {
  const keyId = new RegExp(AWS_ACCESS_KEY_ID.source, 'g');
  return (text) => {
    keyId.lastIndex = 0;
    let out = '';
    let copied = 0;
    let match: RegExpExecArray | null;
    while ((match = keyId.exec(text)) !== null) {
      // Ids listed before their secrets (`id1 id2 secret1 secret2`) each take the next secret not yet taken.
      const start = secretAfter(text, match.index + match[0].length, copied);
      if (start === -1) continue;
      out += text.slice(copied, start) + marker;
      copied = start + SECRET_LENGTH;
    }
    return copied === 0 ? text : out + text.slice(copied);
  };
}

/** True for a whole value that is an AWS access key id (`AKIA` or `ASIA` and 16 capitals or digits). */
export function isAwsAccessKeyId(value: string): boolean {
  return value.length === 20 && AWS_ACCESS_KEY_ID.test(value);
}

/**
 * True for a whole value shaped like an AWS secret access key: exactly 40 of `A-Za-z0-9/+` with at least one capital
 * and one small letter. The letters rule keeps git SHAs and other hex digests (40 characters too, but in one case)
 * out: a random key lacks either case with odds of about 1 in 10^9.
 */
export function isAwsSecretAccessKey(value: string): boolean {
  return value.length === SECRET_LENGTH && isSecretRun(value, 0, SECRET_LENGTH);
}

/**
 * Where the secret after an access key id ending at `from` starts (not before `notBefore`, where the last secret
 * taken ends), or -1 when none starts within MAX_GAP of the id.
 */
function secretAfter(text: string, from: number, notBefore: number): number {
  const limit = Math.min(text.length, from + MAX_GAP);
  let at = Math.max(from, notBefore);
  while (at < limit) {
    if (!isSecretChar(text.charCodeAt(at))) {
      at += 1;
      continue;
    }
    let end = at + 1;
    while (end < text.length && end - at <= SECRET_LENGTH && isSecretChar(text.charCodeAt(end))) end += 1;
    // A run followed by `=` is base64 with padding or a key being assigned: neither is a bare secret.
    if (end - at === SECRET_LENGTH && text.charCodeAt(end) !== EQUALS && isSecretRun(text, at, end))
      return at;
    while (end < limit && isSecretChar(text.charCodeAt(end))) end += 1;
    at = end;
  }
  return -1;
}

/** True when text[start, end) is all secret characters with at least one capital and one small letter. */
function isSecretRun(text: string, start: number, end: number): boolean {
  let upper = false;
  let lower = false;
  for (let i = start; i < end; i += 1) {
    const code = text.charCodeAt(i);
    if (code >= 65 && code <= 90) upper = true;
    else if (code >= 97 && code <= 122) lower = true;
    else if (!isSecretChar(code)) return false;
  }
  return upper && lower;
}

/** `A-Za-z0-9/+`: the characters of a secret access key. */
function isSecretChar(code: number): boolean {
  return (
    (code >= 97 && code <= 122) ||
    (code >= 65 && code <= 90) ||
    (code >= 48 && code <= 57) ||
    code === SLASH ||
    code === PLUS
  );
}
