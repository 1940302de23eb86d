// Reading keys and values inside text by character code: where a value starts and ends, quoted or bare. Shared by
// the assignment scanner and the command-line flags; plain loops, so every character is read a bounded number of times.

/** Where the masked part of a value starts and ends (end exclusive). */
export interface Span {
  start: number;
  end: number;
}

/** Longest key name read before a separator, after `--` or as the first item of a pair. */
export const MAX_KEY_LENGTH = 64;

/** Schemes of an `Authorization` value: the scheme and its credentials are masked together, as a Bearer token is. */
const AUTH_SCHEMES: ReadonlySet<string> = new Set([
  'basic',
  'bearer',
  'digest',
  'negotiate',
  'ntlm',
  'token',
  'bot',
  'apikey',
  'aws4-hmac-sha256',
]);

const TAB = 9;
const LF = 10;
const CR = 13;
const SPACE = 32;
export const QUOTE = 34;
const AMPERSAND = 38;
export const APOSTROPHE = 39;
export const COMMA = 44;
export const DASH = 45;
const SEMICOLON = 59;
export const EQUALS = 61;
export const BACKSLASH = 92;

/**
 * The part of the value starting at `at` to mask, or undefined when there is none. A quoted value is its inside (up
 * to the closing quote or the end of the line); a bare one ends at a blank, a quote, `&`, `;` or a comma before a
 * blank, or at the end of the line when `toLineEnd` (cookies). An HTTP auth scheme (`Basic …`) is part of the value.
 * After a flag (`afterFlag`), a value starting with `-` is the next flag, not a value.
 */
export function valueSpan(
  text: string,
  at: number,
  afterFlag: boolean,
  toLineEnd: boolean,
): Span | undefined {
  const first = text.charCodeAt(at);
  if (first === QUOTE || first === APOSTROPHE) return quoted(text, at + 1, first);
  if (first === BACKSLASH && text.charCodeAt(at + 1) === QUOTE) return escapedQuoted(text, at + 2);
  if (Number.isNaN(first) || endsBare(first) || first === EQUALS || (afterFlag && first === DASH))
    return undefined;
  let end = afterScheme(text, at);
  while (end < text.length) {
    const code = text.charCodeAt(end);
    if (toLineEnd ? endsLine(code) : endsBare(code)) break;
    // `token: x, user: y`: a comma and a blank separate; a comma inside a value is kept in it.
    if (code === COMMA && !toLineEnd && (end + 1 === text.length || isSpace(text.charCodeAt(end + 1)))) break;
    end += 1;
  }
  return { start: at, end };
}

/** The length of the quote opening a value at `at`: 1 for `"` or `'`, 2 for `\"`, 0 when the value is bare. */
export function quoteLength(text: string, at: number): number {
  const first = text.charCodeAt(at);
  if (first === QUOTE || first === APOSTROPHE) return 1;
  return first === BACKSLASH && text.charCodeAt(at + 1) === QUOTE ? 2 : 0;
}

/** A value in quotes: up to the closing quote (skipping backslash escapes) or the end of the line. */
function quoted(text: string, start: number, quote: number): Span | undefined {
  let end = start;
  while (end < text.length) {
    const code = text.charCodeAt(end);
    if (code === quote || code === LF || code === CR) break;
    end += code === BACKSLASH ? 2 : 1;
  }
  end = Math.min(end, text.length);
  return end > start ? { start, end } : undefined;
}

/** A value in escaped quotes (JSON text inside a JSON string): up to the next `\"`. */
function escapedQuoted(text: string, start: number): Span | undefined {
  let end = start;
  while (end < text.length) {
    const code = text.charCodeAt(end);
    if (code === QUOTE || code === LF || code === CR) break;
    end += 1;
  }
  if (end < text.length && text.charCodeAt(end - 1) === BACKSLASH) end -= 1;
  return end > start ? { start, end } : undefined;
}

/** Where the credentials start when the value opens with an HTTP auth scheme and blanks (`Basic …`), else `at`. */
function afterScheme(text: string, at: number): number {
  let end = at;
  while (end < text.length && end - at <= 16 && isSchemeChar(text.charCodeAt(end))) end += 1;
  if (end === at || !isBlank(text.charCodeAt(end))) return at;
  if (!AUTH_SCHEMES.has(text.slice(at, end).toLowerCase())) return at;
  return skipBlanks(text, end);
}

/** The first index from `at` that is not a blank (space or tab). */
export function skipBlanks(text: string, at: number): number {
  let end = at;
  while (isBlank(text.charCodeAt(end))) end += 1;
  return end;
}

/** The first index from `at` that is not a blank or a line break. */
export function skipSpaces(text: string, at: number): number {
  let end = at;
  while (isSpace(text.charCodeAt(end))) end += 1;
  return end;
}

/** True when no key character comes right before `index`, so a key or flag may start there. */
export function startsWord(text: string, index: number): boolean {
  return index === 0 || !isKeyChar(text.charCodeAt(index - 1));
}

/** `A-Za-z0-9_.-`: the characters of a key name. */
export function isKeyChar(code: number): boolean {
  return (
    (code >= 97 && code <= 122) ||
    (code >= 65 && code <= 90) ||
    (code >= 48 && code <= 57) ||
    code === 95 ||
    code === 46 ||
    code === DASH
  );
}

function isSchemeChar(code: number): boolean {
  return (
    (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || (code >= 48 && code <= 57) || code === DASH
  );
}

export function isBlank(code: number): boolean {
  return code === SPACE || code === TAB;
}

/** Blanks and line breaks. */
export function isSpace(code: number): boolean {
  return code === SPACE || code === TAB || code === LF || code === CR || code === 11 || code === 12;
}

/** Characters that end an unquoted value. */
function endsBare(code: number): boolean {
  return isSpace(code) || code === QUOTE || code === APOSTROPHE || code === AMPERSAND || code === SEMICOLON;
}

/** Characters that end an unquoted cookie header, whose cookies are separated by `; `. */
function endsLine(code: number): boolean {
  return code === LF || code === CR || code === QUOTE || code === APOSTROPHE;
}
