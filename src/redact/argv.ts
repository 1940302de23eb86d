// Secrets in a command line passed as a list of arguments, the way shell and exec tools take it (`["curl", "-u",
// "admin:…"]`, `{"command": "mysql", "args": ["-p…"]}`): the flag is one item and its value the next, so no single
// string shows both. The value is masked; the flag and the other arguments stay readable, and so does code given as
// the value (`["--token", "$(vault read …)"]`: see secretParts).
import { CURL_CLIENT_SOURCE, CURL_USER_FLAGS, MYSQL_CLIENT_SOURCE } from './command-flags.js';
import { remember } from './key-names.js';
import { DASH, EQUALS, MAX_KEY_LENGTH, isKeyChar } from './text-values.js';

/** Keys (compared lowercase) that hold the program of a command, and the list of its arguments. */
const COMMAND_FIELDS: ReadonlySet<string> = new Set(['command', 'cmd']);
const ARGS_FIELDS: ReadonlySet<string> = new Set(['args', 'argv', 'arguments']);
const LOWER_P = 112;
const LOWER_U = 117;
const UPPER_U = 85;
/** How many commands the masker remembers as naming a client or not before it starts over. */
const MAX_KNOWN_COMMANDS = 256;

const CURL_USER_FLAG_LENGTHS: ReadonlySet<number> = new Set(CURL_USER_FLAGS.map((flag) => flag.length));

/** The role of a field in a `{command, args}` object. */
export type ArgvField = 'command' | 'args';

/**
 * Whether `key` holds the command of an object that runs one (`command`, `cmd`) or its arguments (`args`, `argv`,
 * `arguments`), in any case; undefined for every other key. The arguments are then read as one command line with the
 * command first, so `{"command": "curl", "args": ["-u", "admin:…"]}` is masked like `["curl", "-u", "admin:…"]`.
 */
export function argvField(key: string): ArgvField | undefined {
  if (key.length < 3 || key.length > 9) return undefined;
  const lower = key.toLowerCase();
  if (COMMAND_FIELDS.has(lower)) return 'command';
  return ARGS_FIELDS.has(lower) ? 'args' : undefined;
}

/** Masks, in `copy` (the masked copy of `items`, same length), the secrets `items` hold as a command line. */
export interface ArgvMasker {
  /** Reads `items` alone as a command line. Reads `items`, never changes them. */
  maskList(items: readonly unknown[], copy: unknown[]): void;
  /**
   * Adds what a `command` before the list shows (`{"command": "curl", "args": ["-u", …]}`), once maskList has read
   * the list: when the command (a program, or a command line as text) names curl or a mysql client, the list is
   * read again with it first; else the list alone showed everything and it is not read again.
   */
  maskAfterCommand(command: string, items: readonly unknown[], copy: unknown[]): void;
}

/**
 * Returns the argv masker. `isSecretFlag` tests a whole flag item (`--api-key`) by the key-name rule; `maskString`
 * masks the part of a value that is kept (the user of `user:password`); `maskSecret(text, from)` masks `text` from
 * `from` on as a secret (`marker` for a literal, code shown: see renderSecret) and keeps what comes before it as it is.
 * Masked:
 * - the item after a flag item whose name is a secret key name (`--password`, `--api-key`, `-token`, `-pass`), unless
 *   it is empty or starts with `-` (the next flag), as in text; `--password=…` in one item is left to the string rules;
 * - after curl (named in an earlier item or in the command), the password of `user:password` given to `-u`, `-U`,
 *   `--user` or `--proxy-user`: in the next item, glued (`-uadmin:…`) or after `=` (`--user=admin:…`);
 * - after a mysql or mariadb client (same test), the password glued to `-p`; `-p` alone prompts, and the item after it
 *   (the database) stays.
 * Clients are found by the same test as in text (command-flags.ts), so `mkdir -p`, `ssh -p2222` and `docker run -u
 * 1000:1000` stay readable. Each item is read a bounded number of times, so the cost stays linear.
 */
export function createArgvMasker(
  isSecretFlag: (flag: string) => boolean,
  maskString: (text: string) => string,
  maskSecret: (text: string, from: number) => string,
  marker: string,
): ArgvMasker {
  const mysqlClient = new RegExp(MYSQL_CLIENT_SOURCE);
  const curlClient = new RegExp(CURL_CLIENT_SOURCE);
  // Tools run the same few commands: each is tested once.
  const namesClient = remember(
    (command) => mysqlClient.test(command) || curlClient.test(command),
    MAX_KNOWN_COMMANDS,
  );

  /**
   * `item` with the part after the first `:` from `at` masked, or `masked` (its copy) when no password follows the
   * `:`. The part kept is masked as a string, unless the string rules left the whole item as it was.
   */
  const maskPassword = (item: string, at: number, masked: unknown): unknown => {
    const colon = item.indexOf(':', at);
    if (colon === -1 || colon + 1 === item.length) return masked;
    const password = maskSecret(item, colon + 1);
    if (password === item) return masked;
    const user = item.slice(0, colon + 1);
    return (masked === item ? user : maskString(user)) + password.slice(colon + 1);
  };

  const mask = (items: readonly unknown[], copy: unknown[], command?: string): void => {
    // The clients named before the item being read (the command is item -1): each is tested once, when a flag asks.
    let read = -1;
    let mysql = false;
    let curl = false;
    const clientsBefore = (index: number): void => {
      for (; read < index; read += 1) {
        const item = read === -1 ? command : items[read];
        if (typeof item !== 'string') continue;
        mysql ||= mysqlClient.test(item);
        curl ||= curlClient.test(item);
      }
    };

    for (let i = 0; i < items.length; i += 1) {
      const item = items[i];
      if (typeof item !== 'string' || item.charCodeAt(0) !== DASH) continue;
      const long = item.charCodeAt(1) === DASH;
      const nameEnd = flagNameEnd(item, long ? 2 : 1);
      if (nameEnd === -1) continue;
      const letter = item.charCodeAt(1);
      // Security: `-p<password>` of the mysql family, which the flag test below would miss.
      if (letter === LOWER_P && item.length > 2 && item.charCodeAt(2) !== DASH) {
        clientsBefore(i);
        if (mysql) {
          copy[i] = maskSecret(item, 2);
          continue;
        }
      }
      const userAt = curlUserAt(item, long, nameEnd);
      if (userAt !== undefined) {
        clientsBefore(i);
        if (curl) {
          const next = items[i + 1];
          if (userAt !== 'next') copy[i] = maskPassword(item, userAt, copy[i]);
          else if (typeof next === 'string' && !startsFlag(next)) {
            copy[i + 1] = maskPassword(next, 0, copy[i + 1]);
            i += 1;
          }
          continue;
        }
      }
      // Security: `--password hunter2`, where the name and the secret are two items.
      if (nameEnd !== item.length || !isSecretFlag(item) || i + 1 === items.length) continue;
      const next = items[i + 1];
      if (typeof next === 'string' && (next.length === 0 || startsFlag(next))) continue;
      copy[i + 1] = typeof next === 'string' ? maskSecret(next, 0) : marker;
      i += 1;
    }
  };

  return {
    maskList: (items, copy) => mask(items, copy),
    maskAfterCommand(command, items, copy) {
      if (namesClient(command)) mask(items, copy, command);
    },
  };
}

/**
 * For curl's credential flags, where `user:password` starts in the item (`-uadmin:…`, `--user=admin:…`), or `next`
 * when it is the next item (`-u`, `--user`); undefined for other flags (and for `--user=` with nothing after it).
 */
function curlUserAt(item: string, long: boolean, nameEnd: number): number | 'next' | undefined {
  if (!long) {
    const letter = item.charCodeAt(1);
    if (letter !== LOWER_U && letter !== UPPER_U) return undefined;
    return item.length === 2 ? 'next' : 2;
  }
  if (!CURL_USER_FLAG_LENGTHS.has(nameEnd)) return undefined;
  if (!CURL_USER_FLAGS.some((flag) => flag.length === nameEnd && item.startsWith(flag))) return undefined;
  if (nameEnd === item.length) return 'next';
  return item.charCodeAt(nameEnd) === EQUALS && nameEnd + 1 < item.length ? nameEnd + 1 : undefined;
}

/** Where the flag name starting at `at` ends (up to MAX_KEY_LENGTH of `A-Za-z0-9_.-`), or -1 when there is none. */
function flagNameEnd(item: string, at: number): number {
  let end = at;
  while (end < item.length && end - at < MAX_KEY_LENGTH && isKeyChar(item.charCodeAt(end))) end += 1;
  return end === at ? -1 : end;
}

/** True when an item is a flag rather than a value: it starts with `-` (a lone `-` is stdin, kept as in text). */
function startsFlag(item: string): boolean {
  return item.charCodeAt(0) === DASH;
}
