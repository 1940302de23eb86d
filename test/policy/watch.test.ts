// Hot reload with real files: changes are applied, broken edits are reported and the last good policy is kept.
import { mkdtempSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import {
  loadPolicyFiles,
  watchPolicyFiles,
  type CompiledPolicy,
  type PolicyWatcher,
} from '../../src/policy/index.js';
import { WardenError } from '../../src/errors.js';
import { call, yaml } from './helpers.js';

type Event = { kind: 'reload'; policy: CompiledPolicy } | { kind: 'error'; error: Error };

/** Starts a watcher that queues its callbacks; `next()` waits for the next one, `quiet()` asserts there is none. */
function startWatching(files: string[], initialVersion?: string) {
  const events: Event[] = [];
  let wake: (() => void) | undefined;
  const push = (event: Event) => {
    events.push(event);
    wake?.();
  };
  const watcher = watchPolicyFiles(files, {
    onReload: (policy) => push({ kind: 'reload', policy }),
    onError: (error) => push({ kind: 'error', error }),
    debounceMs: 50,
    ...(initialVersion ? { initialVersion } : {}),
  });
  const next = async (timeoutMs = 5000): Promise<Event> => {
    const deadline = Date.now() + timeoutMs;
    while (events.length === 0) {
      if (Date.now() > deadline) throw new Error('no watcher callback within the timeout');
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 50);
      });
    }
    return events.shift()!;
  };
  const quiet = async (ms = 400) => {
    await new Promise((resolve) => setTimeout(resolve, ms));
    expect(events).toEqual([]);
  };
  return { watcher, next, quiet };
}

const ruleText = (risk: string) =>
  yaml('rules:', '  - id: write', '    match: { tool: write_file }', `    risk: ${risk}`);

let watcher: PolicyWatcher | undefined;
afterEach(() => watcher?.close());

function tempPolicy(text: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'warden-watch-'));
  const file = path.join(dir, 'policy.yaml');
  writeFileSync(file, text);
  return file;
}

describe('watchPolicyFiles', () => {
  test('applies a valid change', async () => {
    const file = tempPolicy(ruleText('high'));
    const initial = loadPolicyFiles([file]);
    const watch = startWatching([file], initial.version);
    watcher = watch.watcher;
    await watch.quiet(200);

    writeFileSync(file, ruleText('critical'));
    const event = await watch.next();
    expect(event.kind).toBe('reload');
    if (event.kind !== 'reload') return;
    expect(event.policy.version).not.toBe(initial.version);
    expect(event.policy.evaluate(call('write_file')).action).toBe('deny');
    expect(initial.evaluate(call('write_file')).action).toBe('approve');
  });

  test('reports an invalid change once, keeps quiet until the file changes again, then reloads the fix', async () => {
    const file = tempPolicy(ruleText('high'));
    const watch = startWatching([file]);
    watcher = watch.watcher;

    writeFileSync(file, yaml('rules:', '  - id: write', '    risk: severe'));
    const failed = await watch.next();
    expect(failed.kind).toBe('error');
    if (failed.kind !== 'error') return;
    expect(failed.error).toBeInstanceOf(WardenError);
    expect((failed.error as WardenError).code).toBe('POLICY_INVALID');
    expect(failed.error.message).toBe(
      `${file}:3:11: rule "write": risk: expected one of: low, medium, high, critical; got string "severe"`,
    );

    const later = Date.now() / 1000 + 5;
    utimesSync(file, later, later); // an event without a content change
    await watch.quiet();

    writeFileSync(file, ruleText('low'));
    const fixed = await watch.next();
    expect(fixed.kind).toBe('reload');
    if (fixed.kind === 'reload') expect(fixed.policy.evaluate(call('write_file')).risk).toBe('low');
  });

  // Security: an editor that truncates the file before writing it must not switch every rule off in between.
  test('a file truncated to nothing (or to comments) is an error, not a policy with 0 rules', async () => {
    const file = tempPolicy(ruleText('critical'));
    const watch = startWatching([file]);
    watcher = watch.watcher;

    writeFileSync(file, '');
    const emptied = await watch.next();
    expect(emptied.kind).toBe('error');
    if (emptied.kind !== 'error') return;
    expect((emptied.error as WardenError).code).toBe('POLICY_INVALID');
    expect(emptied.error.message).toBe(
      `${file}:1:1: the file is empty (or holds only comments): expected a mapping with the key rules (a list of rules) and optionally defaults and redact; write rules: [] if this file deliberately has no rules`,
    );

    writeFileSync(file, '# being edited\n');
    const commented = await watch.next();
    expect(commented.kind).toBe('error');

    writeFileSync(file, ruleText('high'));
    const saved = await watch.next();
    expect(saved.kind).toBe('reload');
    if (saved.kind === 'reload') expect(saved.policy.ruleCount).toBe(1);
  });

  test('sees editors that save by renaming a temporary file over the original', async () => {
    const file = tempPolicy(ruleText('high'));
    const watch = startWatching([file]);
    watcher = watch.watcher;

    const temporary = path.join(path.dirname(file), '.policy.yaml.swp');
    writeFileSync(temporary, ruleText('medium'));
    renameSync(temporary, file);
    const event = await watch.next();
    expect(event.kind).toBe('reload');
    if (event.kind === 'reload') expect(event.policy.evaluate(call('write_file')).risk).toBe('medium');
  });

  test('a deleted file is reported, and its return reloads', async () => {
    const file = tempPolicy(ruleText('high'));
    const watch = startWatching([file]);
    watcher = watch.watcher;

    rmSync(file);
    const missing = await watch.next();
    expect(missing.kind === 'error' && (missing.error as WardenError).code).toBe('POLICY_NOT_FOUND');

    writeFileSync(file, ruleText('critical'));
    const back = await watch.next();
    expect(back.kind).toBe('reload');
  });

  test('reloads at once when the files already differ from the version the caller loaded', async () => {
    const file = tempPolicy(ruleText('low'));
    const watch = startWatching([file], 'a-version-from-before');
    watcher = watch.watcher;
    const event = await watch.next();
    expect(event.kind).toBe('reload');
  });

  test('ignores other files in the folder, and stops after close', async () => {
    const file = tempPolicy(ruleText('high'));
    const watch = startWatching([file]);
    watcher = watch.watcher;
    writeFileSync(path.join(path.dirname(file), 'notes.txt'), 'hello');
    await watch.quiet();

    watch.watcher.close();
    writeFileSync(file, ruleText('low'));
    await watch.quiet();
  });
});
