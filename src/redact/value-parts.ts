// Which parts of a value about to be masked are the secret. A secret is a literal. Code (`$(…)`, backticks, `<(…)`,
// `>(…)`) and a variable reference (`$DB_PASSWORD`, `${TOKEN}`) are not: they are shown, because masking code hides
// from the reviewer what will run, and a reference only names where the secret comes from.
import type { ShellCode } from './shell-code.js';
import { type Span, BACKSLASH, afterScheme, isSpace } from './text-values.js';

const DOLLAR = 36;
const AMPERSAND = 38;
const OPEN = 40;
const CLOSE = 41;
const SEMICOLON = 59;
const LESS = 60;
const GREATER = 62;
const BACKTICK = 96;
const OPEN_BRACE = 123;
const PIPE = 124;
const CLOSE_BRACE = 125;

/**
 * The literal parts of `text[span]` to mask, or undefined when the value is to be shown whole:
 * - no code in it: the whole span, unless it is one variable reference (`$NAME` in capitals, `${name}`, `$env:name`,
 *   after an auth scheme too: `Bearer $TOKEN`), which is shown;
 * - code in it (see readShellCode; a close found past the span still makes the rest of the span code): its literal
 *   parts, when each is one plain word (`hunter2` of `hunter2$(true)`); when one holds a blank, a line break, `;`,
 *   `&`, `|`, `<`, `>`, `(`, `)` or a backtick, the value is shown whole: it may be code read with the wrong bounds
 *   (a shell form the reader does not know), and code must not be masked;
 * - with `wordEnds` (a match of a pattern, whose quoting is not known), an unescaped `;`, `&`, `|`, `<` or `>` ends
 *   the literal as it ends a shell word: from there on all is shown, as code.
 * A backslash escapes the character after it, which is then literal.
 */
export function secretParts(text: string, span: Span, code: ShellCode, wordEnds: boolean): Span[] | undefined {
  const parts: Span[] = [];
  let literal = span.start;
  let sawCode = false;
  let i = span.start;
  while (i < span.end) {
    const char = text.charCodeAt(i);
    if (char === BACKSLASH) {
      i += 2;
      continue;
    }
    const close = code.endOf(i);
    if (close !== -1 || (wordEnds && endsWord(char))) {
      if (i > literal) parts.push({ start: literal, end: i });
      sawCode = true;
      i = close === -1 ? span.end : Math.min(close, span.end);
      literal = i;
      continue;
    }
    i += 1;
  }
  if (literal < span.end) parts.push({ start: literal, end: span.end });
  if (!sawCode) return isVariableReference(text, span) ? undefined : [span];
  return parts.every((part) => isPlainWord(text, part)) ? parts : undefined;
}

/**
 * `text[span]` masked as a secret: `marker` for a literal, the value with its code shown and its literal parts
 * replaced by `marker` when both are in it, or shown whole (see secretParts). What is shown goes through `showCode`,
 * which masks the secrets inside the code (`$(curl -u admin:…)`).
 */
export function renderSecret(
  text: string,
  span: Span,
  code: ShellCode,
  marker: string,
  wordEnds: boolean,
  showCode: (piece: string) => string,
): string {
  const parts = secretParts(text, span, code, wordEnds);
  if (parts === undefined) return showCode(text.slice(span.start, span.end));
  let out = '';
  let at = span.start;
  for (const part of parts) {
    if (part.start > at) out += showCode(text.slice(at, part.start));
    out += marker;
    at = part.end;
  }
  return at < span.end ? out + showCode(text.slice(at, span.end)) : out;
}

/** `;`, `&`, `|`, `<` and `>`: unquoted, they end a shell word. */
function endsWord(char: number): boolean {
  return char === SEMICOLON || char === AMPERSAND || char === PIPE || char === LESS || char === GREATER;
}

/** True when `text[span]` has no blank, line break, `;`, `&`, `|`, `<`, `>`, `(`, `)` or backtick. */
function isPlainWord(text: string, span: Span): boolean {
  for (let i = span.start; i < span.end; i += 1) {
    const char = text.charCodeAt(i);
    if (isSpace(char) || endsWord(char) || char === OPEN || char === CLOSE || char === BACKTICK) return false;
  }
  return true;
}

/**
 * True when `text[span]`, after an auth scheme if it opens with one, is one variable reference: `$NAME` (capitals,
 * digits and `_`: a literal such as `$ecret1` stays masked), `${name}` or PowerShell's `$env:name`.
 */
function isVariableReference(text: string, span: Span): boolean {
  const at = afterScheme(text, span.start);
  if (at >= span.end || text.charCodeAt(at) !== DOLLAR) return false;
  const braced = text.charCodeAt(at + 1) === OPEN_BRACE;
  if (braced) return text.charCodeAt(span.end - 1) === CLOSE_BRACE && isName(text, at + 2, span.end - 1, false);
  if (text.slice(at + 1, at + 5).toLowerCase() === 'env:') return isName(text, at + 5, span.end, false);
  return isName(text, at + 1, span.end, true);
}

/** True when `text[start, end)` is a variable name: a letter or `_`, then letters, digits or `_`. */
function isName(text: string, start: number, end: number, capitals: boolean): boolean {
  if (start >= end) return false;
  for (let i = start; i < end; i += 1) {
    const char = text.charCodeAt(i);
    const upper = char >= 65 && char <= 90;
    const lower = char >= 97 && char <= 122;
    const digit = char >= 48 && char <= 57;
    if (!(upper || char === 95 || (digit && i > start) || (lower && !capitals))) return false;
  }
  return true;
}
