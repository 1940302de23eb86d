// Secrets assigned inside text rather than under a key of their own (`password=…`, `"token": "…"`, `--password …`,
// `mysql -p…`, `Cookie: …`): the value is masked and the key kept, so a reviewer still sees what was set.

/** Where the masked part of a value starts and ends (end exclusive). */
interface Span {
  start: number;
  end: number;
}

/**
 * What the scan looks for: a separator (`:=`, `=>`, `:`, `=`), a long flag (`--`) or mysql's `-p`. The key is read
 * backwards from a separator, the flag name forwards, and the value forwards, by code: a regex that starts at the key
 * would be tried at every letter of the text (6x slower on a 4 kB text), and this one is only literals.
 */
const ASSIGNMENT_SOURCE = ':=|=>|[:=]|--|-p';
/** The clients whose `-p` takes the password glued to it; and what ends a command on a line. */
const MYSQL_CLIENT_SOURCE = '(?<![A-Za-z0-9_])(?:mysql|mariadb)';
const COMMAND_END_SOURCE = String.raw`[\n\r;|&]`;
/** Longest key name read before a separator or after `--`. */
const MAX_KEY_LENGTH = 64;

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
const QUOTE = 34;
const AMPERSAND = 38;
const APOSTROPHE = 39;
const COMMA = 44;
const DASH = 45;
const SEMICOLON = 59;
const EQUALS = 61;
const BACKSLASH = 92;

/**
 * Returns a function that replaces, inside a text, the value of every assignment to a secret key (`isSecretKey`
 * decides, given the key as written) by `marker`. Recognised: `key=v`, `key: v`, `"key": "v"`, `key := v`,
 * `'key' => v`, `--key=v`, `--key v`, `\"key\": \"v\"` (a key is up to 64 of `A-Za-z0-9_.-`).
 *
 * A quoted value keeps its quotes (`"password": "[REDACTED]"`, so JSON text stays JSON); an unquoted one ends at a
 * blank, a quote, `&`, `;` or a comma before a blank (`?token=…&page=2`, `Password=…;Database=…`, `token: …, user: x`),
 * except under a cookie key, where it runs to the end of the line. An HTTP auth scheme (`Authorization: Basic …`) is masked with its credentials. Empty values,
 * `==` comparisons and a flag followed by a flag are left alone. `-p<password>` is masked only after a mysql or
 * mariadb client named earlier in the same command (same line, no `;`, `|` or `&` between), so `mkdir -p` and
 * `ssh -p2222` stay readable. Every character is read a bounded number of times, so the cost stays linear.
 */
export function createAssignmentMasker(
  isSecretKey: (key: string) => boolean,
  marker: string,
): (text: string) => string {
  const assignment = new RegExp(ASSIGNMENT_SOURCE, 'g');
  const mysqlClient = new RegExp(MYSQL_CLIENT_SOURCE, 'g');
  const commandEnd = new RegExp(COMMAND_END_SOURCE, 'g');
  return (text) => {
    assignment.lastIndex = 0;
    let out = '';
    let copied = 0;
    let match: RegExpExecArray | null;
    // Built on the first `-p`; each walks the text once, however many `-p` there are.
    let lastClient: ((index: number) => number) | undefined;
    let lastCommandEnd: ((index: number) => number) | undefined;
    while ((match = assignment.exec(text)) !== null) {
      const found = match[0];
      const index = match.index;
      let span: Span | undefined;
      if (found === '--') {
        span = flagValue(text, index, isSecretKey);
      } else if (found === '-p') {
        const next = text.charCodeAt(index + 2);
        // `-p` alone asks for the password; `-p -u x` is not a password either.
        if (startsWord(text, index) && !Number.isNaN(next) && !isSpace(next) && next !== DASH) {
          lastClient ??= lastMatchBefore(text, mysqlClient);
          lastCommandEnd ??= lastMatchBefore(text, commandEnd);
          const client = lastClient(index);
          if (client !== -1 && client > lastCommandEnd(index))
            span = valueSpan(text, index + 2, false, false);
        }
      } else {
        const key = keyBefore(text, index);
        if (key !== undefined && isSecretKey(key)) {
          const at = skipBlanks(text, index + found.length);
          span = valueSpan(text, at, false, key.toLowerCase().includes('cookie'));
        }
      }
      if (span === undefined) continue;
      out += text.slice(copied, span.start) + marker;
      copied = span.end;
      assignment.lastIndex = span.end;
    }
    return copied === 0 ? text : out + text.slice(copied);
  };
}

/**
 * The key written just before the separator at `index` (`key`, `key `, `"key"`, `\"key\"`), or undefined when there
 * is none or it is longer than MAX_KEY_LENGTH.
 */
function keyBefore(text: string, index: number): string | undefined {
  let end = index;
  while (end > 0 && isBlank(text.charCodeAt(end - 1))) end -= 1;
  const quote = text.charCodeAt(end - 1);
  if (quote === QUOTE || quote === APOSTROPHE) end -= 1;
  if (text.charCodeAt(end - 1) === BACKSLASH) end -= 1;
  let start = end;
  while (start > 0 && end - start < MAX_KEY_LENGTH && isKeyChar(text.charCodeAt(start - 1))) start -= 1;
  if (start === end || !startsWord(text, start)) return undefined;
  return text.slice(start, end);
}

/** The value of `--name value` to mask when `name` is secret (`--password hunter2`), else undefined. */
function flagValue(text: string, index: number, isSecretKey: (key: string) => boolean): Span | undefined {
  if (!startsWord(text, index)) return undefined;
  let end = index + 2;
  while (end < text.length && end - index < MAX_KEY_LENGTH && isKeyChar(text.charCodeAt(end))) end += 1;
  // `--name=value` is read from its `=`, as any assignment.
  if (end === index + 2 || !isBlank(text.charCodeAt(end))) return undefined;
  if (!isSecretKey(text.slice(index, end))) return undefined;
  return valueSpan(text, skipBlanks(text, end), true, false);
}

/** The part of the value starting at `at` to mask, or undefined when there is none. */
function valueSpan(text: string, at: number, afterFlag: boolean, toLineEnd: boolean): Span | undefined {
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

/**
 * For one text and increasing indexes: where the last match of `pattern` (global) starts before the index, or -1.
 * Each match is found once, so a text with many queries is still walked once.
 */
function lastMatchBefore(text: string, pattern: RegExp): (index: number) => number {
  let last = -1;
  let next: number | undefined;
  const find = (from: number): number => {
    pattern.lastIndex = from;
    return pattern.exec(text)?.index ?? -1;
  };
  return (index) => {
    next ??= find(0);
    while (next !== -1 && next < index) {
      last = next;
      next = find(next + 1);
    }
    return last;
  };
}

function skipBlanks(text: string, at: number): number {
  let end = at;
  while (isBlank(text.charCodeAt(end))) end += 1;
  return end;
}

/** True when no key character comes right before `index`, so a key or flag may start there. */
function startsWord(text: string, index: number): boolean {
  return index === 0 || !isKeyChar(text.charCodeAt(index - 1));
}

/** `A-Za-z0-9_.-`: the characters of a key name. */
function isKeyChar(code: number): boolean {
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

function isBlank(code: number): boolean {
  return code === SPACE || code === TAB;
}

/** Blanks and line breaks. */
function isSpace(code: number): boolean {
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
