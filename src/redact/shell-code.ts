// Where shell code sits in a text: command substitution (`$(…)`, backticks) and process substitution (`<(…)`, `>(…)`).
// A secret is a literal; what such code prints is not a secret, and masking it would hide from the reviewer what runs.

const TAB = 9;
const LF = 10;
const CR = 13;
const SPACE = 32;
const QUOTE = 34;
const HASH = 35;
const DOLLAR = 36;
const AMPERSAND = 38;
const APOSTROPHE = 39;
const OPEN = 40;
const CLOSE = 41;
const SEMICOLON = 59;
const LESS = 60;
const GREATER = 62;
const BACKSLASH = 92;
const BACKTICK = 96;
const PIPE = 124;

/** What the reader is inside of while it looks for a close. */
const PAREN = 0;
const TICK = 1;
const DOUBLE = 2;
const SINGLE = 3;

interface Frame {
  kind: number;
  /** Where the opener of a PAREN or TICK frame is. */
  at: number;
  /** Plain `(` opened inside a PAREN frame and not closed yet. */
  depth: number;
  /** `case` words inside a PAREN frame without their `esac` yet: their patterns end with a lone `)`. */
  cases: number;
}

/** Where the code of one text opens and closes, read once and remembered. */
export interface ShellCode {
  /**
   * For code opening at `at` (`$(`, `<(`, `>(` or a backtick, not escaped by a backslash): the index just after its
   * close. A `$(`, `<(` or `>(` that never closes runs to the end of the text: the shell reads on to find its close,
   * and this reader, which does not know every shell form (here-documents), must not take code for a literal. A
   * backtick that never closes is a plain character (the shell would refuse the line), as is everything else: -1.
   */
  endOf(at: number): number;
}

/**
 * Returns the code reader of `text`. Nothing is read until asked; each close found is remembered, with the closes of
 * the code nested in it, so asking about every character of a text still reads it a bounded number of times.
 *
 * The close is found as a shell finds it: `(` and `)` counted, quotes, backslash escapes, `#` comments and the lone
 * `)` of `case` patterns skipped, code nested in code read whole; a backtick closes at the next unescaped backtick.
 */
export function readShellCode(text: string): ShellCode {
  // Most texts hold no code at all: one native search answers for all their characters.
  if (text.indexOf('(') === -1 && text.indexOf('`') === -1) return NO_CODE;
  let known: Map<number, number> | undefined;
  return {
    endOf(at) {
      const length = openerLength(text, at);
      if (length === 0 || escaped(text, at)) return -1;
      known ??= new Map();
      const end = known.get(at);
      if (end !== undefined) return end;
      findCloses(text, at, length, known);
      return known.get(at) ?? -1;
    },
  };
}

const NO_CODE: ShellCode = { endOf: () => -1 };

/** 2 for `$(`, `<(` and `>(` at `at`, 1 for a backtick, else 0 (escapes not considered). */
function openerLength(text: string, at: number): number {
  const code = text.charCodeAt(at);
  if (code === BACKTICK) return 1;
  if ((code === DOLLAR || code === LESS || code === GREATER) && text.charCodeAt(at + 1) === OPEN) return 2;
  return 0;
}

/** True when an odd number of backslashes comes right before `at`. */
function escaped(text: string, at: number): boolean {
  let start = at;
  while (start > 0 && text.charCodeAt(start - 1) === BACKSLASH) start -= 1;
  return (at - start) % 2 === 1;
}

/** Reads from the opener at `from` to its close, recording in `known` the end of it and of every opener read inside. */
function findCloses(text: string, from: number, length: number, known: Map<number, number>): void {
  const stack: Frame[] = [{ kind: length === 1 ? TICK : PAREN, at: from, depth: 0, cases: 0 }];
  let i = from + length;
  while (stack.length > 0 && i < text.length) {
    const top = stack[stack.length - 1]!;
    const code = text.charCodeAt(i);
    if (top.kind === SINGLE) {
      if (code === APOSTROPHE) stack.pop();
      i += 1;
      continue;
    }
    if (code === BACKSLASH) {
      i += 2;
      continue;
    }
    if (top.kind === TICK) {
      // Security: a backtick ends at the next unescaped backtick, whatever it holds, as in the shell.
      if (code === BACKTICK) {
        known.set(top.at, i + 1);
        stack.pop();
      }
      i += 1;
      continue;
    }
    // In a PAREN frame or in double quotes inside one, code may open again (`<(` only outside quotes).
    const opener = code === BACKTICK ? 1 : openerLength(text, i);
    if (opener !== 0 && (opener === 1 || code === DOLLAR || top.kind === PAREN)) {
      const end = known.get(i);
      if (end !== undefined) i = end === -1 ? i + 1 : end;
      else {
        stack.push({ kind: opener === 1 ? TICK : PAREN, at: i, depth: 0, cases: 0 });
        i += opener;
      }
      continue;
    }
    if (top.kind === DOUBLE) {
      if (code === QUOTE) stack.pop();
      i += 1;
      continue;
    }
    i = readInParens(text, i, top, stack, known);
  }
  // Whatever is still open never closes.
  for (const frame of stack) {
    if (frame.kind === PAREN) known.set(frame.at, text.length);
    else if (frame.kind === TICK) known.set(frame.at, -1);
  }
}

/** Reads one character (or a comment, or a `case` / `esac` word) of a PAREN frame; returns where to go on. */
function readInParens(text: string, i: number, top: Frame, stack: Frame[], known: Map<number, number>): number {
  const code = text.charCodeAt(i);
  if (code === APOSTROPHE || code === QUOTE) {
    stack.push({ kind: code === QUOTE ? DOUBLE : SINGLE, at: i, depth: 0, cases: 0 });
    return i + 1;
  }
  if (code === OPEN) {
    top.depth += 1;
    return i + 1;
  }
  if (code === CLOSE) {
    if (top.depth > 0) top.depth -= 1;
    else if (top.cases === 0) {
      known.set(top.at, i + 1);
      stack.pop();
    }
    return i + 1;
  }
  if (!startsShellWord(text, i)) return i + 1;
  if (code === HASH) {
    let end = i;
    while (end < text.length && text.charCodeAt(end) !== LF && text.charCodeAt(end) !== CR) end += 1;
    return end;
  }
  if (isWordAt(text, i, 'case')) {
    top.cases += 1;
    return i + 4;
  }
  if (isWordAt(text, i, 'esac')) {
    if (top.cases > 0) top.cases -= 1;
    return i + 4;
  }
  return i + 1;
}

/** True when a shell word may start at `i`: after a blank, a line break or an operator (`;`, `(`, `|`, `&`). */
function startsShellWord(text: string, i: number): boolean {
  const before = text.charCodeAt(i - 1);
  return (
    before === SPACE ||
    before === TAB ||
    before === LF ||
    before === CR ||
    before === SEMICOLON ||
    before === OPEN ||
    before === PIPE ||
    before === AMPERSAND
  );
}

/** True when `word` is at `i` and ends there (a blank, a line break, `;`, `)`, `&`, `|` or the end follows). */
function isWordAt(text: string, i: number, word: string): boolean {
  if (!text.startsWith(word, i)) return false;
  const after = text.charCodeAt(i + word.length);
  return (
    Number.isNaN(after) ||
    after === SPACE ||
    after === TAB ||
    after === LF ||
    after === CR ||
    after === SEMICOLON ||
    after === CLOSE ||
    after === AMPERSAND ||
    after === PIPE
  );
}
