// Reading keys and values inside text by character code: where a value starts and ends, quoted or bare. Shared by
// the assignment scanner and the command-line flags; plain loops, so every character is read a bounded number of times.
import type { ShellCode } from './shell-code.js';

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
const LESS = 60;
export const EQUALS = 61;
const GREATER = 62;
export const BACKSLASH = 92;
const PIPE = 124;

/**
 * The part of the value starting at `at` to mask, or undefined when there is none. A quoted value is its inside (up
 * to the closing quote or the end of the line); a bare one ends where an unquoted shell word ends: at a blank, a quote,
 * `&`, `;`, `|`, `<` or `>` (what follows is another command, a pipe or a redirection, never the secret), or at a
 * comma before a blank. A cookie header (`cookie`) runs on over `; name=` to its next cookie. An HTTP auth scheme
 * (`Basic …`) is part of the value. After a flag (`afterFlag`), a value starting with `-` is the next flag.
 *
 * Code (`$(…)`, backticks, `<(…)`, `>(…)`; see readShellCode) is read whole, in a bare value and in double quotes,
 * wherever it closes: `token=$(curl a | sh)x` is one value, which the caller then shows rather than masks.
 */
export function valueSpan(
  text: string,
  at: number,
  afterFlag: boolean,
  cookie: boolean,
  code: ShellCode,
): Span | undefined {
  const first = text.charCodeAt(at);
  if (first === QUOTE || first === APOSTROPHE) return quoted(text, at + 1, first, code);
  if (first === BACKSLASH && text.charCodeAt(at + 1) === QUOTE) return escapedQuoted(text, at + 2);
  if (
    code.endOf(at) === -1 &&
    (Number.isNaN(first) || endsBare(first) || first === EQUALS || (afterFlag && first === DASH))
  )
    return undefined;
  let end = cookie ? at : afterScheme(text, at);
  while (end < text.length) {
    const close = code.endOf(end);
    if (close !== -1) {
      end = close;
      continue;
    }
    const char = text.charCodeAt(end);
    if (cookie) {
      // Security: `Cookie: a=1; curl … | sh` ends at the `;`, which no cookie follows.
      const next = char === SEMICOLON ? skipBlanks(text, end + 1) : end;
      if (next !== end && startsCookie(text, next)) {
        end = next;
        continue;
      }
      if (endsBare(char)) break;
    } else {
      if (endsBare(char)) break;
      // `token: x, user: y`: a comma and a blank separate; a comma inside a value is kept in it.
      if (char === COMMA && (end + 1 === text.length || isSpace(text.charCodeAt(end + 1)))) break;
    }
    end += 1;
  }
  return end > at ? { start: at, end } : undefined;
}

/** The length of the quote opening a value at `at`: 1 for `"` or `'`, 2 for `\"`, 0 when the value is bare. */
export function quoteLength(text: string, at: number): number {
  const first = text.charCodeAt(at);
  if (first === QUOTE || first === APOSTROPHE) return 1;
  return first === BACKSLASH && text.charCodeAt(at + 1) === QUOTE ? 2 : 0;
}

/**
 * A value in quotes: up to the closing quote (skipping backslash escapes) or the end of the line. In double quotes,
 * code is read whole (`"$(vault read -field=x "a/b")"`), as the shell reads it.
 */
function quoted(text: string, start: number, quote: number, shell: ShellCode): Span | undefined {
  let end = start;
  while (end < text.length) {
    const close = quote === QUOTE ? shell.endOf(end) : -1;
    if (close !== -1) {
      end = close;
      continue;
    }
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
export function afterScheme(text: string, at: number): number {
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

/** Characters that end an unquoted value: blanks, quotes, and the shell's `&`, `;`, `|`, `<` and `>`. */
function endsBare(code: number): boolean {
  return (
    isSpace(code) ||
    code === QUOTE ||
    code === APOSTROPHE ||
    code === AMPERSAND ||
    code === SEMICOLON ||
    code === PIPE ||
    code === LESS ||
    code === GREATER
  );
}

/** True when a cookie (`name=`, a name of up to MAX_KEY_LENGTH key characters) starts at `at`. */
function startsCookie(text: string, at: number): boolean {
  let end = at;
  while (end < text.length && end - at < MAX_KEY_LENGTH && isKeyChar(text.charCodeAt(end))) end += 1;
  return end > at && text.charCodeAt(end) === EQUALS;
}
