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
    if (redacted === REDACTED && original.length >= MIN_SECRET_LENGTH) found.push(original);
    return found;
  }
  if (original && redacted && typeof original === 'object' && typeof redacted === 'object') {
    for (const [key, value] of Object.entries(original)) {
      maskedValues(value, (redacted as Record<string, unknown>)[key], found, depth + 1);
    }
  }
  return found;
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
