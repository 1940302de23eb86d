// Which key names hold secrets, and key names that are secrets themselves: both decide what the audit log keeps.
import { describe, expect, test } from 'vitest';
import { REDACTED, createRedactor } from '../../src/redact/index.js';

const redact = createRedactor({ keys: [], patterns: [] });

/** The keys of `names` that the redactor masks the value of. */
function maskedKeys(names: readonly string[]): string[] {
  const masked = redact(Object.fromEntries(names.map((name) => [name, 'v']))) as Record<string, unknown>;
  return names.filter((name) => masked[name] === REDACTED);
}

describe('secret key names', () => {
  test('masks short and informal names for passwords, credentials and auth', () => {
    const names = [
      'pwd',
      'PWD',
      'db_pwd',
      'pass',
      'PASS',
      'db_pass',
      'DB_PASS',
      'smtpPass',
      'pass-phrase',
      'passphrase',
      'sshPassphrase',
      'passcode',
      'auth',
      'x-auth',
      'X-Auth-Token',
      'XAuth',
      'authToken',
      'basicAuth',
      'proxy_auth',
      'authKey',
      'authn',
      'Authentication',
      'creds',
      'cred',
      'gitCreds',
      'aws.creds',
      'jwt',
      'idJwt',
      'JWT_TOKEN',
    ];
    expect(maskedKeys(names)).toEqual(names);
  });

  test('masks bearer, salt and one-time passwords (otp, totp, hotp) as whole words of a name', () => {
    const names = [
      'bearer',
      'Bearer',
      'bearer_key',
      'proxyBearer',
      'salt',
      'SALT',
      'password_salt',
      'saltValue',
      'hash-salt',
      'otp',
      'OTP',
      'otp_code',
      'otpCode',
      'OTPCode',
      'mfa.otp',
      'totp',
      'hotp',
      'smsOtp2',
    ];
    expect(maskedKeys(names)).toEqual(names);
  });

  test('leaves words that merely contain bearer, salt or otp alone, and pin (too common a word)', () => {
    const names = [
      'bearers',
      'forbearer',
      'salted',
      'salty',
      'basalt',
      'saltwater',
      'spotp',
      'spotPrice',
      'hotpot',
      'footprint',
      'despotpower',
      'pin',
      'pinned',
      'spin',
      'pin_code',
    ];
    expect(maskedKeys(names)).toEqual([]);
  });

  test('leaves words that merely contain pass, auth or cred alone', () => {
    const names = [
      'passage',
      'bypass',
      'compass',
      'passenger',
      'surpass',
      'passes',
      'author',
      'authors',
      'authority',
      'co_author',
      'authorName',
      'authorize',
      'credit',
      'incredible',
      'accredited',
    ];
    expect(maskedKeys(names)).toEqual([]);
  });
});

describe('secrets used as key names', () => {
  const tokenKey = 'ghp_KEYINKEYNAME0123456789abcdefghijklmnopqrs';

  test('masks a token that is a key name and keeps its value', () => {
    expect(redact({ [tokenKey]: 1, other: 2 })).toEqual({ [REDACTED]: 1, other: 2 });
    expect(JSON.stringify(redact({ tokens: { [tokenKey]: { user: 'bob' } } }))).not.toContain('KEYINKEY');
  });

  test('masks inside a key name the way it masks inside a string', () => {
    expect(redact({ 'password=hunter2': true, [`id_${tokenKey}`]: 'x' })).toEqual({
      [`password=${REDACTED}`]: REDACTED,
      [`id_${REDACTED}`]: 'x',
    });
  });

  test('still masks the value under a masked key name by its own keys', () => {
    expect(redact({ [tokenKey]: { password: 'p', host: 'h' } })).toEqual({
      [REDACTED]: { password: REDACTED, host: 'h' },
    });
  });

  test('keeps every entry when masked key names collide with each other or with a real key', () => {
    const otherToken = 'ghp_SECONDKEY0123456789abcdefghijklmnopqrs';
    const masked = redact({ [tokenKey]: 1, [REDACTED]: 2, [otherToken]: 3 });
    expect(masked).toEqual({ [`${REDACTED}#2`]: 1, [REDACTED]: 2, [`${REDACTED}#3`]: 3 });
    expect(Object.keys(masked as object)).toEqual([`${REDACTED}#2`, REDACTED, `${REDACTED}#3`]);
  });

  test('masks key names the same way on every call', () => {
    for (let round = 0; round < 3; round += 1) {
      expect(redact({ [tokenKey]: round })).toEqual({ [REDACTED]: round });
    }
  });
});
