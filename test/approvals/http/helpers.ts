// Shared setup for the review service tests: a config file in a temp folder, a started service on a free port, a
// gateway-side broker on the same database (as `warden serve` would have), and a plain HTTP client.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { callInput } from '../helpers.js';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { openAuditStore, type AuditStore } from '../../../src/audit/index.js';
import { openApprovalBroker, type ApprovalBroker } from '../../../src/approvals/broker.js';
import { hashToken, reviewersFromConfig } from '../../../src/approvals/identity.js';
import {
  startReviewService,
  type ReviewService,
  type ReviewServiceOptions,
} from '../../../src/approvals/review-service.js';
import type { ApprovalRequest } from '../../../src/approvals/types.js';
import { loadConfigFile } from '../../../src/config/load.js';
import type { WardenConfig } from '../../../src/config/schema.js';

/** Each reviewer's API token (the config holds their hashes). */
export const TOKENS = {
  alice: 'alice-token-0123456789abcdefghijklmnopqrstuvwxyz',
  bob: 'bob-token-0123456789abcdefghijklmnopqrstuvwxyz',
  carol: 'carol-token-0123456789abcdefghijklmnopqrstuvwxyz',
  dave: 'dave-token-0123456789abcdefghijklmnopqrstuvwxyz',
} as const;

/** Alice is the requester (the principal) and also a configured reviewer, in group dba with bob and carol. */
function configYaml(): string {
  return `
principal:
  id: alice@example.com
  name: Alice
  email: alice@example.com
database: warden.db
policies: [policy.yaml]
servers: {}
reviewers:
  alice: { name: Alice, email: alice@example.com, tokenHash: "${hashToken(TOKENS.alice)}" }
  bob: { name: Bob Builder, email: bob@example.com, tokenHash: "${hashToken(TOKENS.bob)}" }
  carol: { name: Carol, email: carol@example.com, tokenHash: "${hashToken(TOKENS.carol)}" }
  dave: { name: Dave, email: dave@example.com, tokenHash: "${hashToken(TOKENS.dave)}" }
groups:
  dba: [alice, bob, carol]
  ops: [dave]
review:
  host: 127.0.0.1
  port: 0
logLevel: silent
`;
}

export interface TestBed {
  dir: string;
  configPath: string;
  config: WardenConfig;
  /** Starts a review service on the test database (port 0); it is closed after the test. */
  start(options?: Partial<ReviewServiceOptions>): Promise<ReviewService>;
  /** A broker on the same database with its own connection and audit store, as a gateway process has. */
  gateway(): ApprovalBroker;
  /** Creates a request through the gateway broker, as the gateway does for a call whose action is `approve`. */
  createRequest(overrides?: Partial<Parameters<ApprovalBroker['createRequest']>[0]>): ApprovalRequest;
  /** The audit events recorded for a request, in order. */
  events(requestId: string): Array<{ type: string; data: Record<string, unknown> }>;
}

/** A fresh folder, config and database per test; everything opened through it is closed afterwards. */
export function useTestBed(): () => TestBed {
  let bed: TestBed | undefined;
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    cleanups.length = 0;
    if (bed) rmSync(bed.dir, { recursive: true, force: true });
    bed = undefined;
  });
  return () => {
    if (bed) return bed;
    const dir = mkdtempSync(path.join(tmpdir(), 'warden-review-test-'));
    const configPath = path.join(dir, 'warden.yaml');
    writeFileSync(configPath, configYaml());
    writeFileSync(path.join(dir, 'policy.yaml'), 'rules: []\n');
    const { config } = loadConfigFile(configPath, {});
    let gatewayBroker: ApprovalBroker | undefined;
    let counter = 0;
    const created: TestBed = {
      dir,
      configPath,
      config,
      async start(options = {}) {
        const service = await startReviewService({ config, ...options });
        cleanups.push(() => service.close());
        return service;
      },
      gateway() {
        const audit: AuditStore = openAuditStore(config.database);
        const broker = openApprovalBroker({
          database: config.database,
          audit,
          reviewers: reviewersFromConfig(config.reviewers),
          groups: config.groups,
          requester: config.principal,
        });
        cleanups.push(() => {
          broker.close();
          audit.close();
        });
        return broker;
      },
      createRequest(overrides = {}) {
        gatewayBroker ??= created.gateway();
        counter += 1;
        return gatewayBroker.createRequest(
          callInput(`req-${counter}`, {
            // As a live gateway: its pid is alive, so nothing marks the request abandoned.
            argsHash: 'f'.repeat(64),
            risk: 'high',
            reason: 'drops a production table',
            rules: ['db-destructive'],
            agent: { name: 'claude-code', version: '1.0.0' },
            gatewayPid: process.pid,
            ...overrides,
          }),
        );
      },
      events(requestId) {
        const store = openAuditStore(config.database, { readonly: true });
        try {
          return [...store.events()]
            .filter((e) => e.requestId === requestId)
            .map((e) => ({ type: e.type, data: e.data }));
        } finally {
          store.close();
        }
      },
    };
    bed = created;
    return created;
  };
}

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** One HTTP request on a fresh connection. `body` objects are sent as JSON unless a content-type is given. */
export function call(
  service: ReviewService,
  method: string,
  target: string,
  options: { token?: string; headers?: Record<string, string>; body?: unknown; chunked?: boolean } = {},
): Promise<HttpAnswer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let payload: Buffer | undefined;
  if (options.body !== undefined) {
    payload = Buffer.from(typeof options.body === 'string' ? options.body : JSON.stringify(options.body));
    headers['content-type'] ??= 'application/json';
    if (!options.chunked) headers['content-length'] = String(payload.length);
  }
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: service.address.address,
        port: service.address.port,
        method,
        path: target,
        headers,
        agent: false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: response.statusCode ?? 0, headers: response.headers, text, json });
        });
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    if (payload && options.chunked) {
      // Several writes without Content-Length: Transfer-Encoding: chunked.
      for (let at = 0; at < payload.length; at += 16 * 1024)
        request.write(payload.subarray(at, at + 16 * 1024));
      request.end();
    } else {
      request.end(payload);
    }
  });
}

/** Polls `check` every 10 ms until it returns a value or `timeoutMs` passes. */
export async function eventually<T>(check: () => T | undefined, timeoutMs = 5_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
