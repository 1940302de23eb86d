// Secrets written inside text (`password=…`, `"token": "…"`, `--password …`, `mysql -p…`, `Authorization: …`): the
// value is masked and the key stays readable, so a reviewer still sees what was set.
import { describe, expect, test } from 'vitest';
import { REDACTED, createRedactor } from '../../src/redact/index.js';

const redact = createRedactor({ keys: [], patterns: [] });
const text = (value: string): string => redact(value) as string;

describe('key = value inside a string', () => {
  const keys = [
    'password',
    'passwd',
    'pwd',
    'pass',
    'passphrase',
    'secret',
    'token',
    'api_key',
    'apikey',
    'api-key',
    'client_secret',
    'access_token',
    'refresh_token',
    'auth',
    'jwt',
    'DB_PASSWORD',
  ];
  test.each(keys)('masks the value of %s written as k=v, k: v, k = "v" and "k": "v"', (key) => {
    expect(text(`${key}=INLINEPW123`)).toBe(`${key}=${REDACTED}`);
    expect(text(`${key}: INLINEPW123`)).toBe(`${key}: ${REDACTED}`);
    expect(text(`${key} = "INLINE PW 123"`)).toBe(`${key} = "${REDACTED}"`);
    expect(text(`{"${key}": "INLINEPW123", "user": "bob"}`)).toBe(`{"${key}": "${REDACTED}", "user": "bob"}`);
  });

  test('masks a secret in a URL query and keeps the other parameters', () => {
    expect(text('https://api.example.com/cb?access_token=QUERYTOKEN111&x=1#top')).toBe(
      `https://api.example.com/cb?access_token=${REDACTED}&x=1#top`,
    );
  });

  test('masks values in JSON text held in a string, which stays valid JSON', () => {
    const json = JSON.stringify({
      user: 'bob',
      password: 'JSONINSTRPW',
      nested: { apiKey: 'KEY"WITH"QUOTES' },
    });
    const masked = text(json);
    expect(masked).not.toMatch(/JSONINSTRPW|QUOTES/);
    expect(JSON.parse(masked)).toEqual({ user: 'bob', password: REDACTED, nested: { apiKey: REDACTED } });
  });

  test('masks values in JSON text encoded twice', () => {
    const twice = JSON.stringify(JSON.stringify({ token: 'DOUBLEENC1', id: 3 }));
    const masked = text(twice);
    expect(masked).not.toContain('DOUBLEENC1');
    expect(JSON.parse(JSON.parse(masked) as string)).toEqual({ token: REDACTED, id: 3 });
  });

  test('masks assignments in env files, YAML, TOML, code and connection strings', () => {
    expect(text('AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\nREGION=eu-west-1')).toBe(
      `AWS_SECRET_ACCESS_KEY=${REDACTED}\nREGION=eu-west-1`,
    );
    expect(text("db:\n  host: db.internal\n  password: 'p4ss w0rd'\n")).toBe(
      `db:\n  host: db.internal\n  password: '${REDACTED}'\n`,
    );
    expect(text("$config = ['api_key' => 'PHPKEY1'];")).toBe(`$config = ['api_key' => '${REDACTED}'];`);
    expect(text('token := "GOTOKEN1"')).toBe(`token := "${REDACTED}"`);
    expect(text('Server=db;User Id=app;Password=ADOPW1;Database=shop')).toBe(
      `Server=db;User Id=app;Password=${REDACTED};Database=shop`,
    );
    expect(text('spring.datasource.password=SPRINGPW1')).toBe(`spring.datasource.password=${REDACTED}`);
  });

  test('ends an unquoted value at a comma before a blank, and keeps other commas in it', () => {
    expect(text('max_tokens: 100, temperature: 0.2')).toBe(`max_tokens: ${REDACTED}, temperature: 0.2`);
    expect(text('password=a,b,c user=x')).toBe(`password=${REDACTED} user=x`);
    expect(text('token: T1,')).toBe(`token: ${REDACTED},`);
  });

  test('masks the configured keys written inline too', () => {
    const custom = createRedactor({ keys: ['ssn'], patterns: [] });
    expect(custom('name: Ann, ssn: 123-45-6789')).toBe(`name: Ann, ssn: ${REDACTED}`);
  });

  test('masks a private key block written under a key whole', () => {
    const masked = text(
      'private_key: -----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----',
    );
    expect(masked).toBe(`private_key: ${REDACTED}`);
  });

  test('leaves ordinary assignments, comparisons and empty values alone', () => {
    const ordinary = [
      'id=42 limit: 10 author: Alice passage: 3 bypass=true compass: north',
      'https://example.com/a?b=c&page=2',
      'if (token == null) return;',
      'password=',
      'password: ""',
      'SELECT name FROM users WHERE id = 4',
      'time 12:30, C:\\Users\\alice',
    ];
    for (const value of ordinary) expect(text(value), value).toBe(value);
  });
});

describe('HTTP authorization', () => {
  test('masks the scheme and credentials of an Authorization header', () => {
    expect(text('Authorization: Basic dXNlcjpCQVNJQ1BBU1M=')).toBe(`Authorization: ${REDACTED}`);
    expect(text('curl -H "authorization: Token abcdef" https://x.test')).toBe(
      `curl -H "authorization: ${REDACTED}" https://x.test`,
    );
    expect(text('{"Authorization": "Digest-less scheme value"}')).toBe(`{"Authorization": "${REDACTED}"}`);
  });

  test('masks Basic credentials standing alone', () => {
    expect(text('sent Basic dXNlcjpCQVNJQ1BBU1M= upstream')).toBe(`sent ${REDACTED} upstream`);
  });

  test('leaves the word basic in prose alone', () => {
    for (const value of ['basic desk-lamp', 'Basic training starts Monday', 'a basic authentication flow']) {
      expect(text(value)).toBe(value);
    }
  });

  test('masks a whole cookie header, not just its first cookie', () => {
    expect(text('Cookie: sid=abc123; theme=dark; remember=R3M3MB3R')).toBe(`Cookie: ${REDACTED}`);
    expect(text('curl -H "Cookie: a=1; b=SECONDCOOKIE" x')).toBe(`curl -H "Cookie: ${REDACTED}" x`);
  });
});

describe('command lines', () => {
  test('masks the password glued to -p of the mysql family', () => {
    expect(text('mysql -u root -pMYSQLPW999 shop')).toBe(`mysql -u root -p${REDACTED} shop`);
    expect(text('/usr/bin/mysqldump -h db -p"MY PW" shop > out.sql')).toBe(
      `/usr/bin/mysqldump -h db -p"${REDACTED}" shop > out.sql`,
    );
    expect(text('mariadb -pMARIAPW1')).toBe(`mariadb -p${REDACTED}`);
  });

  test('masks --password=X and --password X', () => {
    expect(text('mysql --password=MYSQLPW2 shop')).toBe(`mysql --password=${REDACTED} shop`);
    expect(text('mysqldump --password MYSQLPW3 shop')).toBe(`mysqldump --password ${REDACTED} shop`);
    expect(text('gh auth login --token GHTOKEN1 --hostname x')).toBe(
      `gh auth login --token ${REDACTED} --hostname x`,
    );
  });

  test('leaves other -p flags, a bare -p (prompt) and a flag followed by a flag alone', () => {
    const ordinary = [
      'mkdir -p /tmp/x && ssh -p2222 host',
      'mysql -p shop',
      'cd mysql-data; ls -pla',
      'tool --password --verbose',
    ];
    for (const value of ordinary) expect(text(value), value).toBe(value);
  });
});

describe('cost', () => {
  test('stays fast on long adversarial strings', () => {
    const started = performance.now();
    for (const value of [
      'password='.repeat(100_000),
      'a:'.repeat(300_000),
      'password: "'.repeat(60_000),
      `${'a'.repeat(1_000_000)}=x`,
      '--token '.repeat(100_000),
      `mysql ${' -pX'.repeat(200_000)}`,
      `Cookie: ${'a=b; '.repeat(150_000)}`,
      'Basic '.repeat(100_000),
      `{"token": "${'\\"'.repeat(200_000)}`,
    ]) {
      redact(value);
    }
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
