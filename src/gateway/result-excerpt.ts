// The redacted excerpt of a tool result kept in the audit log. A result often echoes its arguments, so beyond the
// redactor's keys and patterns, every secret value masked in the arguments is masked in the result text too.
import { REDACTED, excerpt } from '../redact/index.js';

type Redact = (value: unknown) => unknown;

/** Shortest argument value that is masked by value in results (shorter ones would mask ordinary words). */
const MIN_SECRET_LENGTH = 4;
/** Longest result text parsed as JSON to redact by key. */
const MAX_JSON_PARSE_CHARS = 65_536;
/**
 * Characters past the excerpt redacted with it. Only the excerpt is kept, so only it and this margin are redacted (a
 * 1 MB result took 11 ms to redact whole): a secret that starts in the excerpt is matched whole as long as it is
 * shorter than the margin, and a masked argument value is matched whatever its length (the margin grows to fit it).
 */
const REDACTION_MARGIN = 4_096;

/** String values the redactor masked in the arguments: the same strings must not leak through the result. */
export function maskedValues(
  original: unknown,
  redacted: unknown,
  found: string[] = [],
  depth = 0,
): string[] {
  if (depth > 32) return found;
  if (typeof original === 'string' && typeof redacted === 'string') {
    if (redacted === original) return found;
    for (const part of maskedParts(original, redacted)) {
      if (part.length >= MIN_SECRET_LENGTH) found.push(part);
    }
    return found;
  }
  if (original && redacted && typeof original === 'object' && typeof redacted === 'object') {
    for (const [key, value] of Object.entries(original)) {
      // A key that is itself a secret (a token used as a name) is masked, and so absent under its own name.
      if (!Object.hasOwn(redacted, key)) {
        if (key.length >= MIN_SECRET_LENGTH) found.push(key);
        continue;
      }
      maskedValues(value, (redacted as Record<string, unknown>)[key], found, depth + 1);
    }
  }
  return found;
}

/**
 * The pieces of `original` that `redacted` shows as the marker: the whole string, or parts of it (`password=[…]` in
 * a connection string). Found by walking the kept text between markers through the original, in order.
 */
export function maskedParts(original: string, redacted: string): string[] {
  const kept = redacted.split(REDACTED);
  if (kept.length === 1) return [];
  const parts: string[] = [];
  let at = kept[0]!.length;
  if (!original.startsWith(kept[0]!)) return [original];
  for (let i = 1; i < kept.length; i++) {
    const piece = kept[i]!;
    const last = i === kept.length - 1;
    const next = last ? original.length - piece.length : original.indexOf(piece, at + 1);
    // Text the redactor rewrote beyond the marker: mask the rest whole rather than guess.
    if (next < at || (last && !original.endsWith(piece))) return [...parts, original.slice(at)];
    parts.push(original.slice(at, next));
    at = next + piece.length;
  }
  return parts;
}

/** A short, redacted text of a result: its text content, else its structured content. */
export function resultExcerpt(
  result: Record<string, unknown>,
  redact: Redact,
  secrets: readonly string[],
  maxChars: number,
): string {
  if (maxChars <= 0) return '';
  const content = Array.isArray(result.content) ? (result.content as Array<Record<string, unknown>>) : [];
  let text = content
    .map((item) =>
      item.type === 'text' && typeof item.text === 'string' ? item.text : `[${String(item.type)}]`,
    )
    .join('\n');
  if (text === '' && result.structuredContent !== undefined) text = JSON.stringify(result.structuredContent);
  const trimmed = text.trim();
  if ((trimmed.startsWith('{') || trimmed.startsWith('[')) && trimmed.length <= MAX_JSON_PARSE_CHARS) {
    try {
      text = JSON.stringify(redact(JSON.parse(trimmed)));
    } catch {
      // Not JSON after all: treated as text below.
    }
  }
  const total = text.length;
  const window =
    maxChars + secrets.reduce((widest, secret) => Math.max(widest, secret.length), REDACTION_MARGIN);
  const cut = text.length > window;
  if (cut) text = text.slice(0, window);
  for (const secret of secrets) text = text.split(secret).join(REDACTED);
  const redacted = String(redact(text));
  return cut ? excerpt(redacted, maxChars, total) : excerpt(redacted, maxChars);
}
