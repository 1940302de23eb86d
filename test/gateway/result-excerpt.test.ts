// The redacted excerpt of a tool result kept in the audit log: short, and with nothing secret in it, however long
// the result.
import { describe, expect, it } from 'vitest';
import { maskedParts, maskedValues, resultExcerpt } from '../../src/gateway/result-excerpt.js';
import { compilePolicySources } from '../../src/policy/index.js';
import { createRedactor } from '../../src/redact/index.js';

const redact = createRedactor(compilePolicySources([{ file: '/p.yaml', text: 'rules: []\n' }]).redaction);
const textResult = (text: string) => ({ content: [{ type: 'text', text }] });

describe('resultExcerpt', () => {
  it('keeps a short result whole, and masks argument values and secret shapes in it', () => {
    const secrets = maskedValues({ password: 'hunter2-long' }, redact({ password: 'hunter2-long' }));
    const text = 'logged in with hunter2-long, token ghp_' + 'a'.repeat(36);
    expect(resultExcerpt(textResult(text), redact, secrets, 500)).toBe(
      'logged in with [REDACTED], token [REDACTED]',
    );
  });

  it('masks in the result a secret the redactor masked inside an argument string, or as a key name', () => {
    const token = `ghp_${'k'.repeat(36)}`;
    const args = {
      dsn: 'postgresql://app:Sup3rSecretPw@db.internal/prod',
      command: 'deploy --password=Tr0ub4dor3 --verbose',
      [token]: true,
    };
    const secrets = maskedValues(args, redact(args));
    expect(secrets).toEqual(expect.arrayContaining(['Sup3rSecretPw', 'Tr0ub4dor3', token]));
    // The tool echoes each secret on its own, where no key or shape gives it away.
    const text = `connected as app (Sup3rSecretPw); ran with Tr0ub4dor3; key ${token.slice(0, 10)}…${token}`;
    const shown = resultExcerpt(textResult(text), redact, secrets, 500);
    expect(shown).not.toMatch(/Sup3rSecretPw|Tr0ub4dor3|k{36}/);
  });

  it('shortens a long result to the limit and says how much of the whole was left out', () => {
    const text = 'x'.repeat(1_000_000);
    expect(resultExcerpt(textResult(text), redact, [], 100)).toBe(`${'x'.repeat(100)}… [+999900 chars]`);
  });

  it('masks a secret that starts in the excerpt and runs past it', () => {
    const jwt = `eyJ${'a'.repeat(40)}.eyJ${'b'.repeat(40)}.${'c'.repeat(40)}`;
    const text = `${'x'.repeat(90)} ${jwt} ${'y'.repeat(1_000_000)}`;
    const shown = resultExcerpt(textResult(text), redact, [], 100);
    expect(shown).toMatch(/^x{90} \[REDACTED/);
    expect(shown).not.toContain('eyJ');
  });

  it('masks an argument value longer than the redaction margin that starts in the excerpt', () => {
    const secretValue = 's3cr3t-'.repeat(2_000); // 14 000 characters
    const args = { apiKey: secretValue };
    const secrets = maskedValues(args, redact(args));
    const text = `${'x'.repeat(50)}${secretValue}${'y'.repeat(200_000)}`;
    const shown = resultExcerpt(textResult(text), redact, secrets, 100);
    expect(shown).toMatch(/^x{50}\[REDACTED\]y+… \[\+\d+ chars\]$/);
    expect(shown).not.toContain('s3cr3t');
  });

  it('masks a private key block cut by the margin', () => {
    const pem = `-----BEGIN RSA PRIVATE KEY-----\n${'A'.repeat(10_000)}\n-----END RSA PRIVATE KEY-----`;
    const shown = resultExcerpt(textResult(`key: ${pem} and more ${'z'.repeat(10_000)}`), redact, [], 200);
    expect(shown).toMatch(/^key: \[REDACTED\]/);
    expect(shown).not.toContain('AAAA');
  });
});

describe('maskedParts', () => {
  it('finds what each marker stands for, or the rest of the string when the text around it changed', () => {
    expect(maskedParts('a=1 b=2', 'a=[REDACTED] b=[REDACTED]')).toEqual(['1', '2']);
    expect(maskedParts('whole', '[REDACTED]')).toEqual(['whole']);
    expect(maskedParts('Basic abc= x', '[REDACTED] x')).toEqual(['Basic abc=']);
    expect(maskedParts('same', 'same')).toEqual([]);
    expect(maskedParts('k: v and more', 'k: [REDACTED] (rewritten)')).toEqual(['v and more']);
  });
});
