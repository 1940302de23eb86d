import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openAuditStore } from '../../src/audit/index.js';
import type { AuditEventInput } from '../../src/audit/types.js';
import { AuditWriter, BATCH_DELAY_MS, IDLE_COMMIT_MIN_EVENTS } from '../../src/gateway/audit-writer.js';
import { SILENT_LOGGER } from '../../src/log.js';

function realStore() {
  const store = openAuditStore(path.join(mkdtempSync(path.join(tmpdir(), 'warden-writer-')), 'audit.db'));
  const batches: number[] = [];
  const appendBatch = store.appendBatch.bind(store);
  // Observe the real store's transactions without replacing them.
  store.appendBatch = (events: readonly AuditEventInput[]) => {
    batches.push(events.length);
    appendBatch(events);
  };
  return { store, batches };
}

const event = (n: number): AuditEventInput => ({ type: 'call.intent', requestId: `r${n}`, data: { n } });

describe('the gateway audit writer', () => {
  it('commits intents queued together in one transaction before any of them resolves', async () => {
    const { store, batches } = realStore();
    const writer = new AuditWriter(store, SILENT_LOGGER);
    await Promise.all(Array.from({ length: 16 }, (_, i) => writer.appendDurable(event(i))));
    expect(batches).toEqual([16]);
    expect(store.verify()).toMatchObject({ ok: true, count: 16 });
  });

  it('holds outcomes back briefly so they share the next commit', async () => {
    const { store, batches } = realStore();
    const writer = new AuditWriter(store, SILENT_LOGGER);
    writer.append({ type: 'call.outcome', requestId: 'r0', data: {} });
    await writer.appendDurable(event(1));
    expect(batches).toEqual([2]);
    writer.append({ type: 'call.outcome', requestId: 'r1', data: {} });
    await new Promise((r) => setTimeout(r, BATCH_DELAY_MS * 4));
    expect(batches).toEqual([2, 1]);
  });

  it('rejects a durable append when the log cannot be written, so the call does not run', async () => {
    const { store } = realStore();
    store.close();
    const writer = new AuditWriter(store, SILENT_LOGGER);
    await expect(writer.appendDurable(event(1))).rejects.toThrow();
  });

  it('builds a later event after the current I/O, and commits it with the next batch', async () => {
    const { store, batches } = realStore();
    const writer = new AuditWriter(store, SILENT_LOGGER);
    let built = false;
    writer.appendLater(() => {
      built = true;
      return { type: 'call.outcome', requestId: 'r0', data: { status: 'ok' } };
    });
    expect(built).toBe(false);
    await new Promise((resolve) => setImmediate(resolve));
    expect(built).toBe(true);
    expect(batches).toEqual([]);
    await writer.appendDurable(event(1));
    expect(batches).toEqual([2]);
    expect([...store.events()].map((e) => e.type)).toEqual(['call.outcome', 'call.intent']);
  });

  it('commits later events on their own once enough of them wait, instead of with the next intent', async () => {
    const { store, batches } = realStore();
    const writer = new AuditWriter(store, SILENT_LOGGER);
    for (let i = 0; i < IDLE_COMMIT_MIN_EVENTS; i += 1) {
      writer.appendLater(() => ({ type: 'call.outcome', requestId: `r${i}`, data: {} }));
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([IDLE_COMMIT_MIN_EVENTS]);
    await writer.appendDurable(event(99));
    expect(batches).toEqual([IDLE_COMMIT_MIN_EVENTS, 1]);
  });

  it('builds later events that are still waiting when it flushes or closes, so none is lost', () => {
    const { store } = realStore();
    const writer = new AuditWriter(store, SILENT_LOGGER);
    writer.appendLater(() => ({ type: 'call.outcome', requestId: 'r0', data: {} }));
    writer.appendLater(() => {
      throw new Error('a broken builder');
    });
    writer.appendLater(() => ({ type: 'call.outcome', requestId: 'r1', data: {} }));
    writer.close();
    expect([...store.events()].map((e) => e.requestId)).toEqual(['r0', 'r1']);
    expect(store.verify()).toMatchObject({ ok: true, count: 2 });
  });

  it('flushes what is queued on close and refuses events afterwards', async () => {
    const { store } = realStore();
    const writer = new AuditWriter(store, SILENT_LOGGER);
    writer.append({ type: 'gateway.stopped', data: {} });
    writer.close();
    expect(store.verify()).toMatchObject({ ok: true, count: 1 });
    await expect(writer.appendDurable(event(2))).rejects.toThrow(/closed/);
  });
});
