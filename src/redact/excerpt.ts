// Shortening long texts (tool results, errors) for the log and for cards, saying how much was left out.

/**
 * `text` unchanged when it fits in `maxChars`, else its first `maxChars` characters followed by `… [+N chars]`, where
 * N counts what was cut. Never splits a surrogate pair. Negative or non-finite limits count as 0. `totalChars` is the
 * length of the whole when `text` is already only its opening (N then counts from the whole).
 */
export function excerpt(text: string, maxChars: number, totalChars = text.length): string {
  const limit = Number.isFinite(maxChars) ? Math.max(0, Math.floor(maxChars)) : 0;
  if (text.length <= limit && totalChars <= text.length) return text;
  let cut = Math.min(limit, text.length);
  const code = text.charCodeAt(cut - 1);
  // A high surrogate at the end would leave half a character: keep the pair out instead.
  if (cut > 0 && code >= 0xd800 && code <= 0xdbff) cut -= 1;
  return `${text.slice(0, cut)}… [+${Math.max(0, totalChars - cut)} chars]`;
}
