// Canonical JSON and argument hashes: the same value always gives the same text, whatever its key order.
import { hash } from 'node:crypto';
import { WardenError } from '../errors.js';

/**
 * JSON text with object keys sorted (UTF-16 code unit order, recursively) and no whitespace, following
 * `JSON.stringify` for everything else (`toJSON` is honoured, `undefined` / functions / symbols are dropped from
 * objects and become `null` in arrays, as do holes; non-finite numbers become `null`). For JSON data this is RFC 8785
 * (JCS), so other tools can recompute Warden's hashes. Bigints are written as decimal strings rather than throwing.
 *
 * Why: argument hashes bind an approval to the exact call, and audit hashes must be recomputable from the stored
 * JSON; both need one text per value. Throws WardenError on a cyclic value (it has no JSON form).
 *
 * How (it runs for every audit event and every call's arguments): the value is checked, and where needed copied with
 * its keys inserted in sorted order, so the native `JSON.stringify` writes the text. Objects with an integer-like key
 * (`"0"`, `"42"`), which JavaScript always enumerates first in numeric order, and anything unusual (class instances,
 * deep or cyclic values) go through a plain recursive writer instead; both give the same text. Properties are read
 * twice (checked, then written), which is harmless for data; a getter that changes its answer between reads is not.
 */
export function canonicalJson(value: unknown): string {
  const prepared = prepare(value, 0);
  if (prepared !== SLOW) return JSON.stringify(prepared) ?? 'null';
  return write(value, new Set()) ?? 'null';
}

/** sha256 (lowercase hex) of `canonicalJson(args)`: equal arguments hash equally regardless of key order. */
export function hashArguments(args: unknown): string {
  return sha256Hex(canonicalJson(args));
}

/** sha256 of a UTF-8 string, lowercase hex. */
export function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex');
}

/** Returned by prepare when only the recursive writer can produce the canonical text. */
const SLOW: unique symbol = Symbol('slow');
/** Deeper values take the recursive writer, which also reports cycles. */
const MAX_FAST_DEPTH = 64;

/**
 * The value itself when `JSON.stringify` already writes it canonically, else a copy that it does (keys inserted in
 * sorted order, `toJSON` applied, bigints as strings), or SLOW.
 */
function prepare(value: unknown, depth: number): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value !== 'object') return value;
  if (depth > MAX_FAST_DEPTH) return SLOW;
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return prepare(toJSON.call(value), depth + 1);
  if (Array.isArray(value)) return prepareArray(value, depth);
  const proto: unknown = Object.getPrototypeOf(value);
  // Boxed primitives, Maps and other class instances are rare here; the writer handles them as it always did.
  if (proto !== Object.prototype && proto !== null) return SLOW;
  return prepareObject(value as Record<string, unknown>, depth);
}

function prepareArray(array: readonly unknown[], depth: number): unknown {
  let copy: unknown[] | undefined;
  for (let i = 0; i < array.length; i += 1) {
    const item = array[i];
    const prepared = prepare(item, depth + 1);
    if (prepared === SLOW) return SLOW;
    if (prepared !== item && copy === undefined) copy = array.slice(0, i);
    if (copy !== undefined) copy.push(prepared);
  }
  return copy ?? array;
}

function prepareObject(object: Record<string, unknown>, depth: number): unknown {
  const keys = Object.keys(object);
  let sorted = true;
  let changed: Map<string, unknown> | undefined;
  for (let i = 0; i < keys.length; i += 1) {
    const key = keys[i]!;
    if (isArrayIndex(key)) return SLOW;
    if (i > 0 && keys[i - 1]! > key) sorted = false;
    const item = object[key];
    const prepared = prepare(item, depth + 1);
    if (prepared === SLOW) return SLOW;
    if (prepared !== item) (changed ??= new Map()).set(key, prepared);
  }
  if (sorted && changed === undefined) return object;
  if (!sorted) keys.sort();
  const copy: Record<string, unknown> = {};
  for (const key of keys) {
    const item = changed?.has(key) ? changed.get(key) : object[key];
    // Security: a plain assignment to `__proto__` would set the prototype and drop the entry from the text.
    if (key === '__proto__') {
      Object.defineProperty(copy, key, { value: item, enumerable: true, writable: true, configurable: true });
    } else {
      copy[key] = item;
    }
  }
  return copy;
}

/** True for keys JavaScript enumerates before all others, in numeric order: "0" … "4294967294". */
function isArrayIndex(key: string): boolean {
  const first = key.charCodeAt(0);
  if (first < 48 || first > 57) return false;
  const index = Number(key) >>> 0;
  return String(index) === key && index !== 4294967295;
}

/** The recursive writer. Returns undefined for values JSON omits (undefined, functions, symbols). */
function write(value: unknown, ancestors: Set<object>): string | undefined {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'bigint':
      return JSON.stringify(value.toString());
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  const object = value as Record<string, unknown> & { toJSON?: unknown };
  if (typeof object.toJSON === 'function') {
    return write((object.toJSON as () => unknown)(), ancestors);
  }
  if (ancestors.has(object)) {
    throw new WardenError(
      'INVALID_ARGUMENTS',
      'cannot write canonical JSON of a value that contains a cycle',
    );
  }
  ancestors.add(object);
  try {
    if (Array.isArray(object)) {
      const items: string[] = [];
      for (let i = 0; i < object.length; i += 1) items.push(write(object[i], ancestors) ?? 'null');
      return `[${items.join(',')}]`;
    }
    const parts: string[] = [];
    for (const key of Object.keys(object).sort()) {
      const text = write(object[key], ancestors);
      if (text !== undefined) parts.push(`${JSON.stringify(key)}:${text}`);
    }
    return `{${parts.join(',')}}`;
  } finally {
    ancestors.delete(object);
  }
}
