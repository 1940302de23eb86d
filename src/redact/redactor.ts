// Masking secrets in values before they reach the audit log or a review card.
import { argvField, createArgvMasker } from './argv.js';
import { createAssignmentMasker } from './assignments.js';
import { createAwsSecretMasker, isAwsAccessKeyId, isAwsSecretAccessKey } from './aws-secret.js';
import { entryField } from './entries.js';
import { createSecretKeyTest, remember } from './key-names.js';
import { BUILTIN_SECRET_SOURCE } from './patterns.js';
import { type ShellCode, readShellCode } from './shell-code.js';
import { DASH } from './text-values.js';
import { renderSecret } from './value-parts.js';

/** What replaces a secret. */
export const REDACTED = '[REDACTED]';
/** What replaces a value nested deeper than MAX_REDACT_DEPTH. */
export const TRUNCATED = '[TRUNCATED]';
/** What replaces a reference back to an enclosing object. */
export const CIRCULAR = '[CIRCULAR]';
/** Objects nested deeper than this are replaced by TRUNCATED. */
export const MAX_REDACT_DEPTH = 32;
const UNREADABLE = '[UNREADABLE]';
/** What the redactor writes in place of a value. */
const MARKERS: ReadonlySet<string> = new Set([REDACTED, TRUNCATED, CIRCULAR, UNREADABLE]);
/** How many key names a redactor remembers as secret or not before it starts over. */
const MAX_KNOWN_KEYS = 1024;
/** Longest entry name (`{"name": …}`) or first item of a pair read as a key name; longer ones are data, not names. */
const MAX_NAME_VALUE_LENGTH = 256;

export interface RedactSettings {
  /**
   * Extra secret key names, matched like BUILTIN_SECRET_KEYS: a case-insensitive substring of the name, ignoring `-`,
   * `_`, `.` and spaces. They apply to object keys and to keys written inline (`ssn: …` inside a string).
   */
  keys: string[];
  /** Extra patterns; every match inside every string is replaced. Their flags are kept, `g` is added. */
  patterns: RegExp[];
}

/** Returns a masked deep copy of a value; never throws and never changes its input. */
export type Redactor = (value: unknown) => unknown;

/**
 * Builds the masking function used on every tool call:
 * - values under secret-looking keys become `[REDACTED]` (BUILTIN_SECRET_KEYS and `settings.keys` as substrings,
 *   SECRET_KEY_WORD as whole words: `db_pass`, `x-auth`, but not `passage` or `author`), whatever they hold, except
 *   code and variable references (below);
 * - inside every string, each built-in token shape and each policy pattern is replaced by `[REDACTED]`, and so is
 *   the value of every secret assignment (`password=…`, `"token": "…"`, `--password …`, `mysql -p…`), the key kept;
 * - key names are masked like strings (a token used as a key becomes `[REDACTED]`, then `[REDACTED]#2`, … when names
 *   collide, so no entry is lost);
 * - a secret named by a sibling is masked too: the `value` of a `{"name": "API_KEY", "value": …}` entry (see
 *   entryField), the second item of a `["password", …]` pair, and an AWS secret access key (40 characters, no key
 *   name) in the same object or array as an access key id, or right after one in a string;
 * - a list of strings is also read as a command line, and so are the `args` (`argv`, `arguments`) of an object after
 *   its `command` (`cmd`): the item after `--password` or another secret flag, the password of `-u user:password`
 *   after curl, and mysql's `-p<password>` are masked across items (see createArgvMasker).
 * Security: a secret is a literal. Wherever a value is masked (under a secret key, as an entry's or a pair's value,
 * after a secret flag, as an assignment or a pattern match in text), the shell code in it (`$(…)`, backticks, `<(…)`,
 * `>(…)`) is shown, with its own secrets masked, and a value that is one variable reference (`$DB_PASSWORD`,
 * `${TOKEN}`) is shown: a reviewer must see what will run. A literal beside code is masked when it is one plain word
 * (`[REDACTED]$(true)`), else the value is shown whole (see secretParts); under a secret key, an object or a list is
 * masked whole unless a string in it shows code, when only its other values are masked. In a pattern match, an
 * unquoted `;`, `&`, `|`, `<` or `>` ends the literal as it ends a shell word.
 * Cycles become `[CIRCULAR]`, nesting past 32 levels `[TRUNCATED]`, unreadable properties `[UNREADABLE]`.
 *
 * Everything is compiled here so the returned function only walks the value. Over-masking is the safe failure: a key
 * such as `max_tokens` contains `token` and is masked, inline too (`max_tokens=100` → `max_tokens=[REDACTED]`).
 */
export function createRedactor(settings: RedactSettings = { keys: [], patterns: [] }): Redactor {
  const isSecretName = createSecretKeyTest(settings.keys);
  // Tools use the same few argument names on every call: each name is checked and masked once. Keys written inside
  // text are remembered apart, so a long text cannot push the argument names out.
  const isSecretInlineKey = remember(isSecretName, MAX_KNOWN_KEYS);
  // Entry names and pair names are data (file names, user names): remembered apart, so they push out no key name.
  const isSecretNameValue = remember(isSecretName, MAX_KNOWN_KEYS);
  const namesSecret = (item: unknown): boolean =>
    typeof item === 'string' && item.length <= MAX_NAME_VALUE_LENGTH && isSecretNameValue(item);
  const builtin = new RegExp(BUILTIN_SECRET_SOURCE, 'g');
  const custom = settings.patterns.map((pattern) => withGlobalFlag(pattern));
  const maskAssignments = createAssignmentMasker(isSecretInlineKey, REDACTED);
  const maskAwsSecrets = createAwsSecretMasker(REDACTED);

  const maskString = (text: string): string => {
    // Token shapes first: a value masked as an assignment would cut a multi-word shape (a PEM block) short. AWS
    // secrets before them, while the access key id that shows where they are is still there.
    let result = maskAssignments(maskMatches(maskAwsSecrets(text), builtin));
    for (const pattern of custom) result = maskMatches(result, pattern);
    return result;
  };
  /** `text` from `from` on masked as a secret: REDACTED for a literal, code shown (see renderSecret). */
  const maskSecret = (text: string, from: number): string =>
    text.slice(0, from) +
    renderSecret(text, { start: from, end: text.length }, readShellCode(text), REDACTED, false, maskString);
  const describeKey = remember(
    (key: string) => ({
      secret: isSecretName(key),
      name: maskString(key),
      field: entryField(key),
      argv: argvField(key),
    }),
    MAX_KNOWN_KEYS,
  );
  // Flags are data like entry names: tested by the same remembered test, apart from the argument names.
  const argvMasker = createArgvMasker(
    (flag) => flag.length <= MAX_NAME_VALUE_LENGTH && isSecretNameValue(flag),
    maskString,
    maskSecret,
    REDACTED,
  );

  /**
   * A value that is secret by where it sits (under a secret key, an entry's or a pair's value): REDACTED, unless it
   * shows code. A string is masked by maskSecret; an object or a list has all its values masked so, and is REDACTED
   * whole when none of them shows anything.
   */
  const visitSecret = (value: unknown, depth: number, ancestors: Set<object>): unknown => {
    if (typeof value === 'string') return maskSecret(value, 0);
    if (value === null || typeof value !== 'object') return REDACTED;
    const masked = visit(value, depth, ancestors, true);
    return showsSomething(masked) ? masked : REDACTED;
  };

  const visitArray = (
    array: readonly unknown[],
    depth: number,
    ancestors: Set<object>,
    secret: boolean,
  ): unknown[] => {
    let awsKeyId = false;
    let awsSecrets: number[] | undefined;
    let flags = false;
    const copy = array.map((item, i) => {
      if (typeof item === 'string') {
        if (item.charCodeAt(0) === DASH) flags = true;
        if (isAwsAccessKeyId(item)) awsKeyId = true;
        else if (isAwsSecretAccessKey(item)) (awsSecrets ??= []).push(i);
      }
      return visit(item, depth + 1, ancestors, secret);
    });
    // Security: `["deploy", "--token", "…"]` names its secret in the item before it. Only lists with a flag are read.
    if (flags) argvMasker.maskList(array, copy);
    if (awsKeyId && awsSecrets) for (const i of awsSecrets) copy[i] = REDACTED;
    // Security: `[["password", "hunter2"]]` (headers, form fields, env pairs) names its secret in the first item.
    if (array.length === 2 && namesSecret(array[0])) copy[1] = visitSecret(array[1], depth + 1, ancestors);
    return copy;
  };

  /** The masked copy of `value`; with `secret`, every value in it is masked as secret (see visitSecret). */
  const visit = (value: unknown, depth: number, ancestors: Set<object>, secret: boolean): unknown => {
    if (typeof value === 'string') return secret ? maskSecret(value, 0) : maskString(value);
    if (value === null || typeof value !== 'object') return secret ? REDACTED : value;
    if (depth >= MAX_REDACT_DEPTH) return TRUNCATED;
    if (ancestors.has(value)) return CIRCULAR;
    ancestors.add(value);
    try {
      if (Array.isArray(value)) return visitArray(value, depth, ancestors, secret);
      const toJSON = (value as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') return visit(toJSON.call(value), depth, ancestors, secret);
      const keys = Object.keys(value);
      const copy: Record<string, unknown> = {};
      let names: UniqueNames | undefined;
      // Values masked once every sibling is seen: an entry's value when its name is secret, AWS secrets beside an id.
      let secretEntry = false;
      let entryValues: Array<{ key: string; item: unknown }> | undefined;
      let awsKeyId = false;
      let awsSecrets: string[] | undefined;
      // A command and the list of its arguments, read as one command line once both are seen.
      let command: string | undefined;
      let args: { items: unknown[]; key: string } | undefined;
      for (const key of keys) {
        const { secret: isSecret, name, field, argv } = describeKey(key);
        // Security: a key that is itself a secret is stored masked, under a name no other entry has.
        const stored = name === key ? key : (names ??= uniqueNames(keys)).claim(name);
        const item = readProperty(value, key);
        if (isSecret) {
          setEntry(copy, stored, visitSecret(item, depth + 1, ancestors));
          continue;
        }
        if (field === 'name') secretEntry ||= namesSecret(item);
        else if (field === 'value') (entryValues ??= []).push({ key: stored, item });
        if (typeof item === 'string') {
          if (isAwsAccessKeyId(item)) awsKeyId = true;
          else if (isAwsSecretAccessKey(item)) (awsSecrets ??= []).push(stored);
          if (argv === 'command') command = item;
        } else if (argv === 'args' && Array.isArray(item)) {
          args = { items: item, key: stored };
        }
        setEntry(copy, stored, visit(item, depth + 1, ancestors, secret));
      }
      // Security: `{"command": "curl", "args": ["-u", "admin:…"]}` names the client outside the list.
      if (command !== undefined && args !== undefined) {
        const masked = copy[args.key];
        if (Array.isArray(masked) && masked.length === args.items.length)
          argvMasker.maskAfterCommand(command, args.items, masked);
      }
      if (secretEntry && entryValues)
        for (const { key, item } of entryValues) setEntry(copy, key, visitSecret(item, depth + 1, ancestors));
      if (awsKeyId && awsSecrets) for (const key of awsSecrets) setEntry(copy, key, REDACTED);
      return copy;
    } catch {
      return UNREADABLE;
    } finally {
      ancestors.delete(value);
    }
  };

  return (value) => visit(value, 0, new Set(), false);
}

/**
 * `text` with each match of `pattern` (global) masked as a secret: REDACTED, or with the code in it shown and, as in
 * an unquoted shell word, from an unquoted `;`, `&`, `|`, `<` or `>` on (see renderSecret).
 */
function maskMatches(text: string, pattern: RegExp): string {
  let out = '';
  let copied = 0;
  let code: ShellCode | undefined;
  let match: RegExpExecArray | null;
  pattern.lastIndex = 0;
  while ((match = pattern.exec(text)) !== null) {
    const start = match.index;
    const end = start + match[0].length;
    // An empty match would be found again at the same place: step over it, as String.replace does.
    if (end === start) pattern.lastIndex += 1;
    code ??= readShellCode(text);
    out += text.slice(copied, start) + renderSecret(text, { start, end }, code, REDACTED, true, keep);
    copied = end;
  }
  return code === undefined ? text : out + text.slice(copied);
}

function keep(piece: string): string {
  return piece;
}

/** True when a masked copy shows anything but the markers (REDACTED, TRUNCATED, CIRCULAR, UNREADABLE). */
function showsSomething(masked: unknown): boolean {
  if (typeof masked === 'string') return !MARKERS.has(masked);
  if (masked === null || typeof masked !== 'object') return false;
  return Object.values(masked).some(showsSomething);
}

interface UniqueNames {
  /** `name` if no key of the object and no earlier claim has it, else `name#2`, `name#3`, … */
  claim(name: string): string;
}

function uniqueNames(keys: readonly string[]): UniqueNames {
  const taken = new Set(keys);
  const next = new Map<string, number>();
  return {
    claim(name) {
      let unique = name;
      let n = next.get(name) ?? 2;
      while (taken.has(unique)) unique = `${name}#${n++}`;
      next.set(name, n);
      taken.add(unique);
      return unique;
    },
  };
}

function setEntry(copy: Record<string, unknown>, key: string, value: unknown): void {
  // Security: a plain assignment to `__proto__` would drop the entry from the log instead of copying it.
  if (key === '__proto__') {
    Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    copy[key] = value;
  }
}

function readProperty(object: object, key: string): unknown {
  try {
    return (object as Record<string, unknown>)[key];
  } catch {
    return UNREADABLE;
  }
}

function withGlobalFlag(pattern: RegExp): RegExp {
  // Sticky matching would stop at the first gap; every match anywhere must go.
  const flags = pattern.flags.replace('y', '');
  return new RegExp(pattern.source, flags.includes('g') ? flags : `${flags}g`);
}
