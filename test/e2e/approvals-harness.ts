// Real processes for approval tests: `warden serve` (through the SDK client) and `warden review` (over HTTP), sharing
// one database file, with reviewers whose API tokens the tests hold.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import {
  FIXTURE_SERVER,
  WARDEN_CLI,
  startWarden,
  tempDir,
  waitFor,
  writeConfig,
  type WardenHarness,
} from './harness.js';

export const TOKENS = {
  bob: 'bob-token-0123456789abcdef',
  carol: 'carol-token-0123456789abcdef',
  /** A reviewer entry that is Alice herself (same email as the principal): separation of duties. */
  alice: 'alice-token-0123456789abcdef',
  /** A configured reviewer who is in no group the policy names. */
  mallory: 'mallory-token-0123456789abcdef',
} as const;

const hash = (token: string) => `sha256:${createHash('sha256').update(token).digest('hex')}`;

export const APPROVAL_POLICY = `
rules:
  - id: echo-needs-ops
    match: { server: fx, tool: echo }
    risk: high
    action: approve
    reason: Echoing needs a human
    reviewers: [group:ops]
  - id: add-needs-two
    match: { server: fx, tool: add }
    risk: critical
    action: approve
    reviewers: [group:ops]
    quorum: 2
  - id: slow-expires-fast
    match: { server: fx, tool: slow }
    risk: high
    action: approve
    reviewers: [group:ops]
    timeout: 2s
  - id: others-allowed
    match: { server: fx, tool: [fail, mixed] }
    risk: low
    action: allow
`;

export function approvalConfig(statePath: string, overrides: Record<string, unknown> = {}) {
  return {
    servers: { fx: { command: process.execPath, args: [FIXTURE_SERVER, '--state-file', statePath] } },
    policy: APPROVAL_POLICY,
    config: {
      principal: { id: 'alice', name: 'Alice', email: 'Alice@Example.com' },
      reviewers: {
        bob: { name: 'Bob', email: 'bob@example.com', tokenHash: hash(TOKENS.bob) },
        carol: { name: 'Carol', email: 'carol@example.com', tokenHash: hash(TOKENS.carol) },
        alice2: { name: 'Alice again', email: 'alice@example.com', tokenHash: hash(TOKENS.alice) },
        mallory: { name: 'Mallory', email: 'mallory@example.com', tokenHash: hash(TOKENS.mallory) },
      },
      groups: { ops: ['bob', 'carol', 'alice2'] },
      approvals: {
        defaultTimeout: '15m',
        holdLimits: { default: '20s' },
        heartbeat: '200ms',
        poll: '100ms',
        reviewServiceGrace: '1s',
      },
      review: { host: '127.0.0.1', port: 0 },
      ...overrides,
    },
  };
}

export interface ReviewProcess {
  url: string;
  child: ChildProcess;
  stderr(): string;
  stop(): Promise<void>;
}

/** Starts `warden review --config …` and waits until it says where it listens. */
export async function startReview(configPath: string): Promise<ReviewProcess> {
  const child = spawn(process.execPath, [WARDEN_CLI, 'review', '--config', configPath], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdout!.on('data', (c: Buffer) => (stderr += c.toString()));
  const url = await waitFor(
    () => stderr.match(/https?:\/\/127\.0\.0\.1:\d+/)?.[0],
    15_000,
    `warden review to listen (stderr so far: ${stderr})`,
  );
  return {
    url,
    child,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

/** A request as the reviewers' API returns it (the fields tests read). */
export interface RequestJson {
  id: string;
  status: string;
  exposedName: string;
  risk: string;
  quorum: number;
  arguments: unknown;
  [field: string]: unknown;
}

/** A JSON body of the reviewers' API. */
export interface ApiJson {
  request?: RequestJson;
  requests?: RequestJson[];
  error?: { code: string; message: string };
  [field: string]: unknown;
}

export interface ApprovalSetup {
  warden: WardenHarness;
  review: ReviewProcess;
  statePath: string;
  api(
    method: string,
    route: string,
    token: string,
    body?: unknown,
  ): Promise<{ status: number; json: ApiJson | undefined }>;
  /** Waits until a pending request for this exposed tool is listed for bob, and returns it. */
  pendingFor(exposedName: string): Promise<RequestJson>;
  close(): Promise<void>;
}

/** Writes the config, starts the review service, then `warden serve` with the SDK client. */
export async function startApprovalSetup(overrides: Record<string, unknown> = {}): Promise<ApprovalSetup> {
  const dir = tempDir('warden-approvals-');
  const statePath = path.join(dir, 'state.jsonl');
  const options = approvalConfig(statePath, overrides);
  const { configPath } = writeConfig({ ...options, dir });
  const review = await startReview(configPath);
  const warden = await startWarden({ ...options, dir });
  const api: ApprovalSetup['api'] = async (method, route, token, body) => {
    const response = await fetch(`${review.url}${route}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return {
      status: response.status,
      json: (await response.json().catch(() => undefined)) as ApiJson | undefined,
    };
  };
  return {
    warden,
    review,
    statePath,
    api,
    pendingFor: (exposedName) =>
      waitFor(
        async () => {
          const { json } = await api('GET', '/api/requests?status=pending', TOKENS.bob);
          return (json?.requests ?? []).find((r) => r.exposedName === exposedName);
        },
        10_000,
        `a pending request for ${exposedName}`,
      ),
    async close() {
      await warden.close();
      await review.stop();
    },
  };
}
