import { describe, expect, it } from 'vitest';
import { EXPOSED_NAME_PATTERN, buildNameMap, exposedName } from '../../src/gateway/naming.js';

describe('exposed tool names', () => {
  it('joins server and tool with a double underscore', () => {
    expect(exposedName('fs', 'read_file')).toBe('fs__read_file');
  });

  it('replaces characters MCP hosts reject', () => {
    expect(exposedName('every', 'get-tiny.image v2')).toBe('every__get-tiny_image_v2');
    expect(exposedName('x', '')).toBe('x___');
  });

  it('cuts long names to 64 characters with a stable hash suffix, keeping distinct inputs distinct', () => {
    const a = exposedName('server', 'a'.repeat(80));
    const b = exposedName('server', 'a'.repeat(79) + 'b');
    expect(a).toMatch(EXPOSED_NAME_PATTERN);
    expect(a.length).toBe(64);
    expect(a).not.toBe(b);
    expect(exposedName('server', 'a'.repeat(80))).toBe(a);
  });

  it('keeps names unique when sanitizing makes two collide, and reports it', () => {
    const collisions: string[] = [];
    const map = buildNameMap(
      [
        { server: 'fs', name: 'a.b', item: 1 },
        { server: 'fs', name: 'a_b', item: 2 },
        { server: 'fs', name: 'a b', item: 3 },
      ],
      new Map(),
      (_entry, given) => collisions.push(given),
    );
    expect([...map.keys()]).toEqual(['fs__a_b', 'fs__a_b_2', 'fs__a_b_3']);
    expect([...map.values()].map((e) => e.item)).toEqual([1, 2, 3]);
    expect(collisions).toEqual(['fs__a_b_2', 'fs__a_b_3']);
  });

  it('looks tools up by the exact exposed name only, even when a tool name contains the separator', () => {
    const map = buildNameMap([
      { server: 'a', name: 'b__c', item: 'first' },
      { server: 'a__b', name: 'c', item: 'second' },
    ]);
    expect(map.size).toBe(2);
    expect([...map.values()].map((e) => e.item).sort()).toEqual(['first', 'second']);
  });

  it('never moves a name to another tool when the lists change: the first holder keeps it for the session', () => {
    const assigned = new Map<string, string>();
    const first = buildNameMap([{ server: 'fs', name: 'a_b', item: 'original' }], assigned);
    expect([...first.keys()]).toEqual(['fs__a_b']);
    // A tool that sanitizes to the same name appears first in a later listing: it does not take the name over.
    const second = buildNameMap(
      [
        { server: 'fs', name: 'a.b', item: 'newcomer' },
        { server: 'fs', name: 'a_b', item: 'original' },
      ],
      assigned,
    );
    expect(second.get('fs__a_b')?.item).toBe('original');
    expect(second.get('fs__a_b_2')?.item).toBe('newcomer');
    // The holder goes away (its server restarts without it): its name stays unused rather than passed on.
    const third = buildNameMap([{ server: 'fs', name: 'a.b', item: 'newcomer' }], assigned);
    expect([...third.keys()]).toEqual(['fs__a_b_2']);
    const fourth = buildNameMap(
      [
        { server: 'fs', name: 'a.b', item: 'newcomer' },
        { server: 'fs', name: 'a_b', item: 'back' },
      ],
      assigned,
    );
    expect(fourth.get('fs__a_b')?.item).toBe('back');
  });
});
