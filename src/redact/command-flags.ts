// Passwords in command-line flags that only some clients give that meaning: mysql's `-p<password>` and curl's
// `-u user:password`. Elsewhere `-p` is a port or "make parents" and `-u` a user id (`docker run -u 1000:1000`), so
// the flag counts only after the client is named earlier in the same command.
import type { ShellCode } from './shell-code.js';
import { DASH, EQUALS, type Span, isSpace, skipBlanks, startsWord, valueSpan } from './text-values.js';

/** The clients whose `-p` takes the password glued to it (`mysqldump`, `mariadb-dump` too). */
export const MYSQL_CLIENT_SOURCE = '(?<![A-Za-z0-9_])(?:mysql|mariadb)';
/** curl, whose `-u`, `--user`, `-U` and `--proxy-user` take `user:password`. */
export const CURL_CLIENT_SOURCE = '(?<![A-Za-z0-9_])curl';
/**
 * What ends a command: a line break (unless escaped for a continuation by `\`, PowerShell's backtick or cmd's `^`),
 * `;`, `|` or `&`.
 */
const COMMAND_END_SOURCE = '(?<![\\\\`^]\\r?)\\n|(?<![\\\\`^])\\r(?!\\n)|[;|&]';
const COLON = 58;
/** curl's long flags for credentials, with the `--` they are found by. */
export const CURL_USER_FLAGS: readonly string[] = ['--user', '--proxy-user'];

/** The client-bound flags of one text, answered for increasing indexes. */
export interface CommandFlags {
  /** The password of mysql's `-p<password>` at `index` (the `-p`), or undefined. */
  mysqlPassword(index: number): Span | undefined;
  /** The password of curl's `-u` / `-U` at `index`: `user:password` glued or after blanks; undefined if none. */
  curlShortCredentials(index: number): Span | undefined;
  /** The password of curl's `--user` / `--proxy-user` at `index` (the `--`), with `=` or blanks; else undefined. */
  curlLongCredentials(index: number): Span | undefined;
}

/**
 * Returns a reader of client-bound flags: compiled once, then called once per text that has a candidate flag, with the
 * text's code reader (values are read as valueSpan reads them). Each client search walks the text once however many
 * flags it holds, so the cost stays linear.
 */
export function createCommandFlagReader(): (text: string, code: ShellCode) => CommandFlags {
  const mysqlClient = new RegExp(MYSQL_CLIENT_SOURCE, 'g');
  const curlClient = new RegExp(CURL_CLIENT_SOURCE, 'g');
  const commandEnd = new RegExp(COMMAND_END_SOURCE, 'g');
  return (text, code) => {
    let lastMysql: ((index: number) => number) | undefined;
    let lastCurl: ((index: number) => number) | undefined;
    let lastEnd: ((index: number) => number) | undefined;
    const endBefore = (index: number) => (lastEnd ??= lastMatchBefore(text, commandEnd))(index);
    const inCurl = (index: number) => {
      const client = (lastCurl ??= lastMatchBefore(text, curlClient))(index);
      return client !== -1 && client > endBefore(index);
    };
    return {
      mysqlPassword(index) {
        const next = text.charCodeAt(index + 2);
        // `-p` alone asks for the password; `-p -u x` is not a password either.
        if (!startsWord(text, index) || Number.isNaN(next) || isSpace(next) || next === DASH)
          return undefined;
        const client = (lastMysql ??= lastMatchBefore(text, mysqlClient))(index);
        if (client === -1 || client <= endBefore(index)) return undefined;
        return valueSpan(text, index + 2, false, false, code);
      },
      curlShortCredentials(index) {
        if (!startsWord(text, index)) return undefined;
        const at = skipBlanks(text, index + 2);
        return at < text.length && inCurl(index) ? password(text, at, code) : undefined;
      },
      curlLongCredentials(index) {
        if (!startsWord(text, index)) return undefined;
        const flag = CURL_USER_FLAGS.find((name) => text.startsWith(name, index));
        if (flag === undefined) return undefined;
        const after = index + flag.length;
        const at = text.charCodeAt(after) === EQUALS ? after + 1 : skipBlanks(text, after);
        if (at === after || !inCurl(index)) return undefined;
        return password(text, at, code);
      },
    };
  };
}

/**
 * In the `user:password` value at `at`, the password (after the first `:` outside code: the user of `-u "$(id -un):…"`
 * is code), or undefined when it has none.
 */
function password(text: string, at: number, code: ShellCode): Span | undefined {
  const value = valueSpan(text, at, true, false, code);
  if (value === undefined) return undefined;
  let colon = value.start;
  while (colon < value.end && text.charCodeAt(colon) !== COLON) {
    const close = code.endOf(colon);
    colon = close === -1 ? colon + 1 : close;
  }
  return colon + 1 < value.end ? { start: colon + 1, end: value.end } : undefined;
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
