// Text for approval cards: markdown neutralised, long text shortened with a note saying how much was cut, compact
// JSON that survives any nesting, and times in UTC. Pure functions.
import { formatDuration } from '../duration.js';

/**
 * The characters Teams' markdown subset acts on (links, emphasis, code, headings, quotes, autolinks, strikethrough),
 * plus the backslash itself so that a value cannot cancel the escape put before the next character.
 */
const MARKDOWN_SPECIAL = /[\\[\]()*_`#><~]/g;

/**
 * `text` made inert for a TextBlock or a Fact: each markdown character gets a leading backslash (CommonMark escapes),
 * so an argument like `[Approve](https://evil)` shows as typed instead of as a link, and `**urgent**` shows its stars.
 * A renderer that ignored escapes would show the backslashes, and still no link: `\]\(` never forms `](`. Backslash
 * escaping was chosen over a monospace block because `fontType` changes only the font, not markdown processing.
 * Bare URLs may still be autolinked by Teams, showing their real address. Use it on every string that is not a fixed
 * Warden label.
 */
export function plainText(text: string): string {
  // Security: agent-controlled text must not render links or formatting that could mislead a reviewer.
  return text.replace(MARKDOWN_SPECIAL, (c) => `\\${c}`);
}

/**
 * `text` when it has at most `maxChars` characters, else its first `maxChars` characters and `… (N more chars)`.
 * Never splits a surrogate pair; a limit of 0 or less keeps only the note.
 */
export function shorten(text: string, maxChars: number): string {
  const { kept, omitted } = cut(text, maxChars);
  return omitted === 0 ? kept : `${kept}${omittedNote(omitted)}`;
}

/** `shorten` then `plainText` on what is kept: the "… (N more chars)" note is Warden's and stays as written. */
export function plainShort(text: string, maxChars: number): string {
  const { kept, omitted } = cut(text, maxChars);
  return omitted === 0 ? plainText(kept) : `${plainText(kept)}${omittedNote(omitted)}`;
}

function cut(text: string, maxChars: number): { kept: string; omitted: number } {
  const limit = Math.max(0, Math.floor(maxChars));
  if (text.length <= limit) return { kept: text, omitted: 0 };
  let end = limit;
  const code = text.charCodeAt(end - 1);
  // A high surrogate at the end would leave half a character: keep the pair out instead.
  if (end > 0 && code >= 0xd800 && code <= 0xdbff) end -= 1;
  return { kept: text.slice(0, end), omitted: text.length - end };
}

function omittedNote(omitted: number): string {
  return `… (${omitted} more chars)`;
}

/** How deep `compactJson` follows objects and arrays before writing `{…}` / `[…]`. */
export const MAX_JSON_DEPTH = 20;

/**
 * JSON of `value` without spaces, like `JSON.stringify`, except that objects and arrays nested deeper than
 * `MAX_JSON_DEPTH` are written `{…}` / `[…]` (and `deep` is true). `JSON.stringify` recurses on the stack and throws on
 * very deep data; arguments can be anything the agent sent, so the card must not depend on it.
 */
export function compactJson(value: unknown): { text: string; deep: boolean } {
  const state = { deep: false };
  const text = write(value, 0, state) ?? 'null';
  return { text, deep: state.deep };
}

function write(value: unknown, depth: number, state: { deep: boolean }): string | undefined {
  if (value === null) return 'null';
  if (typeof value === 'object') {
    if (depth >= MAX_JSON_DEPTH) {
      state.deep = true;
      return Array.isArray(value) ? '[…]' : '{…}';
    }
    if (Array.isArray(value)) {
      return `[${value.map((item) => write(item, depth + 1, state) ?? 'null').join(',')}]`;
    }
    const parts: string[] = [];
    for (const [key, item] of Object.entries(value)) {
      const written = write(item, depth + 1, state);
      if (written !== undefined) parts.push(`${JSON.stringify(key)}:${written}`);
    }
    return `{${parts.join(',')}}`;
  }
  if (typeof value === 'bigint') return value.toString();
  // Strings, numbers, booleans as JSON; undefined, functions and symbols are left out, as JSON.stringify does.
  return JSON.stringify(value) as string | undefined;
}

/** `14:02 UTC`: the time of day of an ISO-8601 instant, or the text unchanged when it is not a date. */
export function utcClock(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(11, 16)} UTC`;
}

/** `14:02 UTC, 2025-03-01`: time and date of an ISO-8601 instant, or the text unchanged when it is not a date. */
export function utcDateTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${utcClock(iso)}, ${date.toISOString().slice(0, 10)}`;
}

/** `in 14m` / `3m ago` / `now`, relative to `now`; empty when `iso` is not a date. Rounds down (formatDuration). */
export function relativeTime(iso: string, now: Date): string {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return '';
  const diff = at - now.getTime();
  if (Math.abs(diff) < 1_000) return 'now';
  return diff > 0 ? `in ${formatDuration(diff)}` : `${formatDuration(-diff)} ago`;
}
