// Canonical JSON, argument hashes and excerpts.
import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { canonicalJson, excerpt, hashArguments } from '../../src/redact/index.js';

describe('canonicalJson', () => {
  test('sorts keys recursively and drops whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}',
    );
  });

  test('follows JSON.stringify for undefined, functions, non-finite numbers, dates and strings', () => {
    expect(
      canonicalJson({
        u: undefined,
        f: () => 1,
        n: Number.NaN,
        i: -Infinity,
        z: -0,
        list: [undefined, () => 1],
      }),
    ).toBe('{"i":null,"list":[null,null],"n":null,"z":0}');
    expect(canonicalJson(new Date('2025-01-01T00:00:00Z'))).toBe('"2025-01-01T00:00:00.000Z"');
    expect(canonicalJson('quote " and \u2028 and é')).toBe(JSON.stringify('quote " and \u2028 and é'));
    expect(canonicalJson(undefined)).toBe('null');
    expect(canonicalJson(12345678901234567890n)).toBe('"12345678901234567890"');
  });

  test('gives the same text after a JSON round trip', () => {
    const value = { when: new Date(0), big: 1e21, small: 1e-7, nested: [{ b: true, a: null }] };
    expect(canonicalJson(JSON.parse(JSON.stringify(value)))).toBe(canonicalJson(value));
  });

  test('throws on a cycle instead of looping', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(/cycle/);
    const deep: Record<string, unknown> = { list: [] };
    let node = deep;
    for (let i = 0; i < 100; i += 1) node = (node.next = { i }) as Record<string, unknown>;
    node.back = deep;
    expect(() => canonicalJson(deep)).toThrow(/cycle/);
  });

  test('orders integer-like keys as text, not as JavaScript enumerates them', () => {
    expect(canonicalJson({ b: 1, 10: 'ten', 2: 'two', 1: 'one', a: { 3: true, '03': false, '-1': 0 } })).toBe(
      '{"1":"one","10":"ten","2":"two","a":{"-1":0,"03":false,"3":true},"b":1}',
    );
    expect(canonicalJson({ 4294967295: 'not an index', 4294967294: 'an index', z: 0 })).toBe(
      '{"4294967294":"an index","4294967295":"not an index","z":0}',
    );
  });

  test('keeps an own "__proto__" key, nested objects sorted', () => {
    const value = JSON.parse('{"z":1,"__proto__":{"y":2,"x":1}}') as unknown;
    expect(canonicalJson(value)).toBe('{"__proto__":{"x":1,"y":2},"z":1}');
  });

  test('writes holes, undefined and functions in arrays as null, and applies toJSON at any depth', () => {
    // eslint-disable-next-line no-sparse-arrays
    expect(canonicalJson([1, , undefined, () => 1, Symbol('s')])).toBe('[1,null,null,null,null]');
    const custom = { toJSON: () => ({ b: [new Date(0)], a: 2n }) };
    expect(canonicalJson({ y: custom, x: [custom] })).toBe(
      '{"x":[{"a":"2","b":["1970-01-01T00:00:00.000Z"]}],"y":{"a":"2","b":["1970-01-01T00:00:00.000Z"]}}',
    );
  });

  test('treats class instances and maps by their own enumerable keys, as before', () => {
    class Point {
      y = 2;
      x = 1;
    }
    expect(canonicalJson({ p: new Point(), m: new Map([['k', 'v']]) })).toBe('{"m":{},"p":{"x":1,"y":2}}');
  });

  test('accepts a value shared by several parents (only cycles are refused)', () => {
    const shared = { b: 1, a: 2 };
    expect(canonicalJson({ one: shared, two: [shared, shared] })).toBe(
      '{"one":{"a":2,"b":1},"two":[{"a":2,"b":1},{"a":2,"b":1}]}',
    );
  });

  test('gives the same text as a plain recursive JCS writer on random JSON values', () => {
    const reference = (value: unknown): string => {
      if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
      if (value !== null && typeof value === 'object') {
        const entries = Object.keys(value)
          .sort()
          .map((key) => `${JSON.stringify(key)}:${reference((value as Record<string, unknown>)[key])}`);
        return `{${entries.join(',')}}`;
      }
      return JSON.stringify(value);
    };
    let seed = 7;
    const next = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return Math.floor((seed / 2_147_483_648) * n);
    };
    const keys = ['a', 'B', 'b', '0', '1', '10', '2', '01', '-1', 'é', '😀', '', ' ', 'ab', '__proto__'];
    const leaves = [null, true, false, 0, -1.5, 1e21, 'x', 'quote " \\ \n', '\u2028', '😀'];
    const random = (depth: number): unknown => {
      const kind = depth > 5 ? 0 : next(4);
      if (kind === 0) return leaves[next(leaves.length)];
      if (kind === 1) return Array.from({ length: next(4) }, () => random(depth + 1));
      const object: Record<string, unknown> = {};
      for (let i = next(5); i > 0; i -= 1) {
        Object.defineProperty(object, keys[next(keys.length)]!, {
          value: random(depth + 1),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return object;
    };
    for (let i = 0; i < 3000; i += 1) {
      const value = random(0);
      expect(canonicalJson(value)).toBe(reference(value));
    }
  });
});

describe('hashArguments', () => {
  test('is the sha256 hex of the canonical JSON', () => {
    const expected = createHash('sha256').update('{"a":1,"b":[1,2]}').digest('hex');
    expect(hashArguments({ b: [1, 2], a: 1 })).toBe(expected);
  });

  test('does not depend on key order, at any depth', () => {
    expect(hashArguments({ path: '/x', opts: { recursive: true, force: false } })).toBe(
      hashArguments({ opts: { force: false, recursive: true }, path: '/x' }),
    );
  });

  test('differs when any value differs, including array order', () => {
    const base = hashArguments({ path: '/x', list: [1, 2] });
    expect(hashArguments({ path: '/y', list: [1, 2] })).not.toBe(base);
    expect(hashArguments({ path: '/x', list: [2, 1] })).not.toBe(base);
    expect(hashArguments({ path: '/x', list: [1, 2], extra: null })).not.toBe(base);
  });
});

describe('excerpt', () => {
  test('leaves text that fits unchanged', () => {
    expect(excerpt('short', 10)).toBe('short');
    expect(excerpt('exactly10!', 10)).toBe('exactly10!');
  });

  test('cuts longer text and says how much was left out', () => {
    expect(excerpt('abcdefghijklmnop', 5)).toBe('abcde… [+11 chars]');
    expect(excerpt('abc', 0)).toBe('… [+3 chars]');
    expect(excerpt('abc', -4)).toBe('… [+3 chars]');
  });

  test('never splits a surrogate pair', () => {
    expect(excerpt('ab🎉cd', 3)).toBe('ab… [+4 chars]');
  });
});
