// The README's first command runs `warden demo`: it must keep working, end to end, with real processes.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { WARDEN_CLI } from './harness.js';

describe('warden demo', () => {
  it('shows an allowed read, an approved write, a rejected write and a denied secret read, then a verified log', () => {
    const run = spawnSync(process.execPath, [WARDEN_CLI, 'demo'], { encoding: 'utf8', timeout: 60_000 });
    expect(run.status, run.stderr).toBe(0);
    const out = run.stdout;
    expect(out).toMatch(/reads the README \(harmless\): fs__read_text_file\n\s+ran: # Quarterly plan/);
    expect(out).toMatch(/Dana decides: approve \("looks right"\) → HTTP 200\n\s+ran: Successfully wrote/);
    expect(out).toMatch(/BLOCKED: Warden denied this call: rejected by Dana: that would throw the plan away/);
    expect(out).toMatch(/BLOCKED: .*Credential files are off limits/);
    expect(out).toMatch(
      /approval\.requested[\s\S]*approval\.approved[\s\S]*approval\.executing[\s\S]*call\.outcome/,
    );
    expect(out).toMatch(/Hash chain intact over \d+ events/);
  });
});
