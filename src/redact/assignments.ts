// Secrets assigned inside text rather than under a key of their own (`password=…`, `"token": "…"`, `--password …`,
// `mysql -p…`, `curl -u user:…`, `Cookie: …`, `- name: API_KEY` / `value: …`, `["password", "…"]`): the value is
// masked and the key kept, so a reviewer still sees what was set.
import { createCommandFlagReader, type CommandFlags } from './command-flags.js';
import { entryField } from './entries.js';
import { type ShellCode, readShellCode } from './shell-code.js';
import {
  BACKSLASH,
  COMMA,
  MAX_KEY_LENGTH,
  QUOTE,
  APOSTROPHE,
  type Span,
  isBlank,
  isKeyChar,
  skipBlanks,
  skipSpaces,
  quoteLength,
  startsWord,
  valueSpan,
} from './text-values.js';
import { renderSecret } from './value-parts.js';

/**
 * What the scan looks for: a separator (`:=`, `=>`, `:`, `=`), the `[` of a pair, a long flag (`--`), mysql's `-p`
 * or curl's `-u` / `-U`. The key is read backwards from a separator, the flag name forwards, and the value forwards,
 * by code: a regex that starts at the key would be tried at every letter of the text (6x slower on a 4 kB text), and
 * this one is only literals.
 */
const ASSIGNMENT_SOURCE = ':=|=>|[:=[]|--|-[puU]';
/** How far after the name of a `name: API_KEY` entry (in characters) its `value:` may come. */
const MAX_ENTRY_GAP = 128;
/** How deep code nested in secret values (`token=$(… password=$(…) …)`) is read for the secrets it holds. */
const MAX_CODE_DEPTH = 4;
const OPEN_PAREN = 40;
const CLOSE_BRACKET = 93;

/**
 * Returns a function that replaces, inside a text, the value of every assignment to a secret key (`isSecretKey`
 * decides, given the key as written) by `marker`. Recognised: `key=v`, `key: v`, `"key": "v"`, `key := v`,
 * `'key' => v`, `--key=v`, `--key v`, `\"key\": \"v\"` (a key is up to 64 of `A-Za-z0-9_.-`).
 *
 * A quoted value keeps its quotes (`"password": "[REDACTED]"`, so JSON text stays JSON); an unquoted one ends where a
 * shell word ends, at a blank, a quote, `&`, `;`, `|`, `<` or `>`, or at a comma before a blank (`?token=…&page=2`,
 * `Password=…;Database=…`, `token: …, user: x`); under a cookie key it runs on over `; name=` to the next cookie. An
 * HTTP auth scheme (`Authorization: Basic …`, `token ghp_…`) is masked with its credentials. Empty values, `==`
 * comparisons and a flag followed by a flag are left alone.
 *
 * Security: only the literal is masked. Code in a value (`token="$(curl … | sh)"`, `secret=\`…\``, `<(…)`) is read
 * whole, wherever it closes, and shown, its own secrets masked; a variable reference (`"$DB_PASSWORD"`, `${TOKEN}`)
 * is shown; a literal beside code is masked when it is one plain word (`password=[REDACTED]$(true)`), else the value
 * is shown whole. See secretParts.
 *
 * Also masked: the `value` written within 128 characters after a `name` or `key` that is a secret key name (YAML and
 * JSON env entries, name first); the second item of a two-item list whose first is a quoted secret key name
 * (`["password", "…"]`, quoted values only); `-p<password>` after a mysql or mariadb client and the password of
 * `-u` / `--user` / `-U` / `--proxy-user user:password` after curl, each named earlier in the same command (same
 * line or continued lines, no `;`, `|` or `&` between), so `mkdir -p`, `ssh -p2222` and `docker run -u 1000:1000`
 * stay readable. Every character is read a bounded number of times (code nested in secret values up to
 * MAX_CODE_DEPTH deep, past which it is shown as it is), so the cost stays linear.
 */
export function createAssignmentMasker(
  isSecretKey: (key: string) => boolean,
  marker: string,
): (text: string) => string {
  const assignment = new RegExp(ASSIGNMENT_SOURCE, 'g');
  const readFlags = createCommandFlagReader();

  const mask = (text: string, depth: number): string => {
    assignment.lastIndex = 0;
    let out = '';
    let copied = 0;
    let match: RegExpExecArray | null;
    // Both built on the first value or client-bound flag; each walks the text once, however many values it holds.
    let code: ShellCode | undefined;
    let flags: CommandFlags | undefined;
    // Where the name of the last `name:` / `key:` entry starts; read only when a `value` follows it.
    let entryNameAt = -1;
    const showCode = (piece: string): string => (depth < MAX_CODE_DEPTH ? mask(piece, depth + 1) : piece);
    while ((match = assignment.exec(text)) !== null) {
      const found = match[0];
      const index = match.index;
      code ??= readShellCode(text);
      let span: Span | undefined;
      if (found === '--') {
        span =
          (flags ??= readFlags(text, code)).curlLongCredentials(index) ??
          flagValue(text, index, isSecretKey, code);
      } else if (found === '-p') {
        span = (flags ??= readFlags(text, code)).mysqlPassword(index);
      } else if (found === '-u' || found === '-U') {
        span = (flags ??= readFlags(text, code)).curlShortCredentials(index);
      } else if (found === '[') {
        span = pairValue(text, index, isSecretKey, code);
      } else {
        const key = keyBefore(text, index);
        if (key === undefined) continue;
        const field = isSecretKey(key) ? 'secret' : entryField(key);
        if (field === 'secret') {
          span = valueSpan(text, valueStart(text, index, found), false, key.toLowerCase().includes('cookie'), code);
        } else if (field === 'name') {
          entryNameAt = skipBlanks(text, index + found.length);
        } else if (field === 'value' && entryNameAt !== -1) {
          if (index <= secretNameEnd(text, entryNameAt, isSecretKey, code))
            span = valueSpan(text, valueStart(text, index, found), false, false, code);
          entryNameAt = -1;
        }
      }
      if (span === undefined) continue;
      // Masking the code nested in the value runs this function again: what it left in `assignment` is reset below.
      out += text.slice(copied, span.start) + renderSecret(text, span, code, marker, false, showCode);
      copied = span.end;
      assignment.lastIndex = span.end;
    }
    return copied === 0 ? text : out + text.slice(copied);
  };
  return (text) => mask(text, 0);
}

/**
 * Where the value after the separator `found` at `index` starts: after blanks, or at the `>` of `=>(…)`, where the
 * shell reads `key=` and the process substitution `>(…)`.
 */
function valueStart(text: string, index: number, found: string): number {
  if (found === '=>' && text.charCodeAt(index + 2) === OPEN_PAREN) return index + 1;
  return skipBlanks(text, index + found.length);
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
function flagValue(
  text: string,
  index: number,
  isSecretKey: (key: string) => boolean,
  code: ShellCode,
): Span | undefined {
  if (!startsWord(text, index)) return undefined;
  let end = index + 2;
  while (end < text.length && end - index < MAX_KEY_LENGTH && isKeyChar(text.charCodeAt(end))) end += 1;
  // `--name=value` is read from its `=`, as any assignment.
  if (end === index + 2 || !isBlank(text.charCodeAt(end))) return undefined;
  if (!isSecretKey(text.slice(index, end))) return undefined;
  return valueSpan(text, skipBlanks(text, end), true, false, code);
}

/**
 * For the name of an entry starting at `at` (`API_KEY` in `name: API_KEY`): the last index its `value` separator may
 * have when the name is a secret key name, else -1.
 */
function secretNameEnd(
  text: string,
  at: number,
  isSecretKey: (key: string) => boolean,
  code: ShellCode,
): number {
  const name = valueSpan(text, at, false, false, code);
  if (name === undefined || name.end - name.start > MAX_KEY_LENGTH) return -1;
  return isSecretKey(text.slice(name.start, name.end)) ? name.end + MAX_ENTRY_GAP : -1;
}

/**
 * The second item of the two-item list opening at `index` (`["password", "…"]`, `['Authorization', '…']`,
 * `[\"token\", \"…\"]`) when its first item is a quoted secret key name and its second a quoted value; else undefined.
 */
function pairValue(
  text: string,
  index: number,
  isSecretKey: (key: string) => boolean,
  code: ShellCode,
): Span | undefined {
  const open = skipSpaces(text, index + 1);
  const nameQuote = quoteLength(text, open);
  if (nameQuote === 0) return undefined;
  const start = open + nameQuote;
  let end = start;
  while (end < text.length && end - start < MAX_KEY_LENGTH && isKeyChar(text.charCodeAt(end))) end += 1;
  // The name must close with the quote it opened with.
  if (end === start || !text.startsWith(text.slice(open, start), end)) return undefined;
  const comma = skipSpaces(text, end + nameQuote);
  if (text.charCodeAt(comma) !== COMMA) return undefined;
  const valueAt = skipSpaces(text, comma + 1);
  const valueQuote = quoteLength(text, valueAt);
  if (valueQuote === 0 || !isSecretKey(text.slice(start, end))) return undefined;
  const value = valueSpan(text, valueAt, false, false, code);
  if (value === undefined) return undefined;
  return text.charCodeAt(skipSpaces(text, value.end + valueQuote)) === CLOSE_BRACKET ? value : undefined;
}
