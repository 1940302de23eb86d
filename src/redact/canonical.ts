// Canonical JSON and argument hashes: the same value always gives the same text, whatever its key order.
import { createHash } from 'node:crypto';
import { WardenError } from '../errors.js';

/**
 * JSON text with object keys sorted (UTF-16 code unit order, recursively) and no whitespace, following
 * `JSON.stringify` for everything else (`toJSON` is honoured, `undefined` / functions / symbols are dropped from
 * objects and become `null` in arrays, non-finite numbers become `null`). For JSON data this is RFC 8785 (JCS), so
 * other tools can recompute Warden's hashes. Bigints are written as decimal strings rather than throwing.
 *
 * Why: argument hashes bind an approval to the exact call, and audit hashes must be recomputable from the stored
 * JSON; both need one text per value. Throws WardenError on a cyclic value (it has no JSON form).
 */
export function canonicalJson(value: unknown): string {
  return write(value, new Set()) ?? 'null';
}

/** sha256 (lowercase hex) of `canonicalJson(args)`: equal arguments hash equally regardless of key order. */
export function hashArguments(args: unknown): string {
  return sha256Hex(canonicalJson(args));
}

/** sha256 of a UTF-8 string, lowercase hex. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Returns undefined for values JSON omits (undefined, functions, symbols). */
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
      return `[${object.map((item) => write(item, ancestors) ?? 'null').join(',')}]`;
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
