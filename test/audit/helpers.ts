// Shared test data for the audit tests: temp folders and the events the gateway writes for one tool call.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import type { AuditEventInput, CallIntentData, CallOutcomeData } from '../../src/audit/types.js';

/** A fresh temp folder per test, removed afterwards. Returns a function giving a path inside it. */
export function useTempDir(): () => string {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });
  return () => {
    dir ??= mkdtempSync(path.join(tmpdir(), 'warden-audit-test-'));
    return dir;
  };
}

export function intent(requestId: string, overrides: Partial<CallIntentData> = {}): AuditEventInput {
  const data: CallIntentData = {
    principal: { id: 'alice@example.com', name: 'Alice' },
    agent: { name: 'claude-code', version: '1.2.3' },
    server: 'fs',
    tool: 'write_file',
    exposedName: 'fs__write_file',
    args: { path: '/work/notes.md', content: 'hello', token: '[REDACTED]' },
    argsHash: 'a'.repeat(64),
    argsBytes: 58,
    risk: 'medium',
    action: 'allow',
    reason: 'writes inside the workspace',
    rules: [
      { ruleId: 'fs-write', risk: 'medium', action: 'allow', why: ['tool matches write_*'] },
      { ruleId: 'default', risk: 'low', action: 'allow', why: ['fallback'] },
    ],
    policyVersion: 'v1',
    ...overrides,
  };
  return { type: 'call.intent', requestId, sessionId: 'session-1', data: { ...data } };
}

export function outcome(requestId: string, overrides: Partial<CallOutcomeData> = {}): AuditEventInput {
  const data: CallOutcomeData = {
    status: 'ok',
    durationMs: 42,
    isError: false,
    resultBytes: 12,
    excerpt: 'wrote 5 bytes',
    ...overrides,
  };
  return { type: 'call.outcome', requestId, sessionId: 'session-1', data: { ...data } };
}

export function denied(requestId: string, reason = 'deleting files is not allowed'): AuditEventInput {
  return {
    type: 'call.denied',
    requestId,
    sessionId: 'session-1',
    data: { reason, risk: 'critical', action: 'deny', rules: ['no-delete'] },
  };
}

export function rejected(requestId: string, exposedName = 'fs__nope'): AuditEventInput {
  return {
    type: 'call.rejected',
    requestId,
    sessionId: 'session-1',
    data: { exposedName, reason: `unknown tool ${exposedName}` },
  };
}

/** A clock that starts at `start` and moves forward only when told. */
export function manualClock(start: string): { now: () => Date; set: (iso: string) => void } {
  let current = new Date(start);
  return { now: () => new Date(current), set: (iso) => (current = new Date(iso)) };
}

/** RFC 4180 reader: quoted fields may hold commas, doubled quotes, CR and LF. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\r' || c === '\n') {
      if (c === '\r' && text[i + 1] === '\n') i += 1;
      record.push(field);
      records.push(record);
      record = [];
      field = '';
    } else {
      field += c;
    }
  }
  if (field !== '' || record.length > 0) records.push([...record, field]);
  return records;
}
