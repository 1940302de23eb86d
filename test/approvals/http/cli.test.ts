// `warden review` and `warden review token`, run in-process: what an operator sees, and a service that really serves.
import { Command } from 'commander';
import { describe, expect, test } from 'vitest';
import { hashToken, matchTokenHash } from '../../../src/approvals/identity.js';
import { registerReviewCommands, type ReviewCliIo } from '../../../src/cli/review.js';
import { eventually, useTestBed } from './helpers.js';

const bed = useTestBed();

function cli(waitForStop?: () => Promise<string>) {
  const out = { stdout: '', stderr: '' };
  const io: ReviewCliIo = {
    stdout: { write: (text: string) => (out.stdout += text) },
    stderr: { write: (text: string) => (out.stderr += text) },
    ...(waitForStop ? { waitForStop } : {}),
  };
  const program = new Command('warden').exitOverride();
  registerReviewCommands(program, io);
  return { program, out };
}

describe('warden review token', () => {
  test('prints a new 32-byte base64url token and the tokenHash line that matches it', async () => {
    const { program, out } = cli();
    await program.parseAsync(['review', 'token', '--reviewer', 'bob'], { from: 'user' });
    const token = /^token: (\S+)$/m.exec(out.stdout)?.[1];
    const tokenHash = /^tokenHash: (\S+)$/m.exec(out.stdout)?.[1];
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token!, 'base64url')).toHaveLength(32);
    expect(tokenHash).toBe(hashToken(token!));
    expect(matchTokenHash(token!, [{ id: 'bob', tokenHash: tokenHash! }])?.id).toBe('bob');
    expect(out.stderr).toMatch(/under reviewers\.bob/);

    const again = cli();
    await again.program.parseAsync(['review', 'token', '--reviewer', 'bob'], { from: 'user' });
    expect(again.out.stdout).not.toContain(token!);
  });

  test('refuses a reviewer id that cannot be a config key', async () => {
    const { program } = cli();
    await expect(
      program.parseAsync(['review', 'token', '--reviewer', 'bob smith'], { from: 'user' }),
    ).rejects.toThrow(/"bob smith" is not a reviewer id/);
  });
});

describe('warden review', () => {
  test('serves until told to stop, saying where it listens on stderr and nothing on stdout', async () => {
    const bedNow = bed();
    let stop!: (why: string) => void;
    const { program, out } = cli(() => new Promise((resolve) => (stop = resolve)));
    const running = program.parseAsync(['review', '--config', bedNow.configPath, '--port', '0'], {
      from: 'user',
    });
    const url = await eventually(() => /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out.stderr)?.[1]);
    const health = await fetch(`${url}/healthz`);
    expect(await health.json()).toEqual({ ok: true });
    expect(bedNow.gateway().liveReviewService(3_000)).toBe(true);

    stop('SIGTERM');
    await running;
    expect(out.stderr).toMatch(/stopping \(SIGTERM\)/);
    expect(out.stdout).toBe('');
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    expect(bedNow.gateway().liveReviewService(3_000)).toBe(false);
  });

  test('refuses a port that is not a number', async () => {
    const { program } = cli(() => new Promise(() => undefined));
    await expect(
      program.parseAsync(['review', '--config', bed().configPath, '--port', 'http'], { from: 'user' }),
    ).rejects.toThrow(/--port: expected a whole number from 0 to 65535/);
  });
});
