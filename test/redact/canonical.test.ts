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
