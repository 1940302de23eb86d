// Shared test data for the approval tests: reviewers, a requester, a call needing approval, and a broker on a real
// SQLite file with a real audit log beside it (the same file, as in production).
import path from 'node:path';
import { afterEach } from 'vitest';
import { openAuditStore, type AuditStore } from '../../src/audit/index.js';
import {
  hashToken,
  openApprovalBroker,
  type ApprovalBroker,
  type ApprovalBrokerOptions,
  type CreateApprovalInput,
  type DecisionIdentity,
  type IdentityFields,
  type Reviewer,
} from '../../src/approvals/index.js';
import { intent, manualClock, useTempDir } from '../audit/helpers.js';

export { manualClock, useTempDir };

export const START = '2025-03-01T09:00:00.000Z';

/** The person the agent acts for. Her id and email differ, so each identity field can be tested on its own. */
export const REQUESTER: IdentityFields = {
  id: 'alice',
  name: 'Alice',
  email: 'alice@example.com',
  entraObjectId: 'aaaaaaaa-0000-0000-0000-000000000001',
};

export const REVIEWERS: Reviewer[] = [
  {
    id: 'bob',
    name: 'Bob Builder',
    email: 'bob@example.com',
    entraObjectId: '11111111-2222-3333-4444-555555555555',
    tokenHash: hashToken('bob-token'),
  },
  { id: 'carol', name: 'Carol', email: 'carol@example.com', tokenHash: hashToken('carol-token') },
  { id: 'dave', name: 'Dave', email: 'dave@example.com' },
  /** Alice listed as a reviewer (same email as the requester): she reviews others' requests, never her own. */
  { id: 'alice-reviewer', name: 'Alice', email: 'Alice@Example.com' },
];

export const GROUPS: Record<string, string[]> = {
  dba: ['bob', 'carol'],
  ops: ['bob', 'alice-reviewer', 'dave'],
};

/** A call to `db__drop_table` as the gateway would describe it. */
export function callInput(id: string, overrides: Partial<CreateApprovalInput> = {}): CreateApprovalInput {
  return {
    id,
    server: 'db',
    tool: 'drop_table',
    exposedName: 'db__drop_table',
    argsHash: 'a'.repeat(64),
    argsRedacted: { table: 'customers', password: '[REDACTED]' },
    risk: 'critical',
    reason: 'dropping a table needs a DBA',
    rules: ['db-drop'],
    policyVersion: 'policy-v1',
    agent: { name: 'claude-code', version: '1.2.3' },
    reviewerSpecs: ['group:dba'],
    quorum: 1,
    timeoutMs: 15 * 60_000,
    gatewaySession: 'session-1',
    gatewayPid: 4242,
    ...overrides,
  };
}

/** How a reviewer proves who they are through the HTTP API (the token's hash, as the API records it). */
export function viaToken(reviewerId: string, channel = 'http-api'): DecisionIdentity {
  return { reviewerId, kind: 'token', value: hashToken(`${reviewerId}-token`), channel };
}

export interface TestBroker {
  file: string;
  broker: ApprovalBroker;
  audit: AuditStore;
  clock: ReturnType<typeof manualClock>;
  /** Creates the request the way the gateway does: the call's intent first, then the approval request. */
  create(id: string, overrides?: Partial<CreateApprovalInput>): ReturnType<ApprovalBroker['createRequest']>;
  /** Event types recorded for the request after its intent, in order. */
  events(id: string): string[];
  /** The data of the request's events of this type, in order. */
  eventData(id: string, type: string): Array<Record<string, unknown>>;
}

/** Broker options to change, plus the file and clock to share with another broker (another process). */
export type BrokerOverrides = Partial<ApprovalBrokerOptions> & {
  file?: string;
  clock?: ReturnType<typeof manualClock>;
};

/**
 * A factory of brokers on one database file in a fresh temp folder, each with its own audit store and connection,
 * closed after the test. `open()` again gives a second process's view of the same file.
 */
export function useBrokers(): (options?: BrokerOverrides) => TestBroker {
  const tempDir = useTempDir();
  const opened: Array<() => void> = [];
  afterEach(() => {
    for (const close of opened.splice(0).reverse()) close();
  });
  return ({ file: given, clock: sharedClock, ...options } = {}) => {
    const file = given ?? path.join(tempDir(), 'warden.db');
    const clock = sharedClock ?? manualClock(START);
    const audit = openAuditStore(file, { now: clock.now });
    const broker = openApprovalBroker({
      database: file,
      audit,
      reviewers: REVIEWERS,
      groups: GROUPS,
      requester: REQUESTER,
      now: clock.now,
      ...options,
    });
    opened.push(() => {
      broker.close();
      audit.close();
    });
    const events = (id: string) => audit.getRequest(id)?.events.filter((e) => e.type !== 'call.intent') ?? [];
    return {
      file,
      broker,
      audit,
      clock,
      create(id, overrides = {}) {
        audit.append(intent(id, { action: 'approve', server: 'db', tool: 'drop_table' }));
        return broker.createRequest(callInput(id, overrides));
      },
      events: (id) => events(id).map((e) => e.type),
      eventData: (id, type) =>
        events(id)
          .filter((e) => e.type === type)
          .map((e) => e.data),
    };
  };
}
