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

  test('masks the GitHub `token` scheme after Authorization: and as the value of an authorization key', () => {
    expect(text('curl -H "Authorization: token R6_GHTOKENSCHEME28abcdef" https://api.github.com')).toBe(
      `curl -H "Authorization: ${REDACTED}" https://api.github.com`,
    );
    expect(text('authorization=token R6_GHTOKENSCHEME28abcdef')).toBe(`authorization=${REDACTED}`);
    expect(redact({ Authorization: 'token R6_GHTOKENSCHEME28abcdef' })).toEqual({ Authorization: REDACTED });
    expect(redact({ headers: { authHeader: 'token R6_GHTOKENSCHEME28abcdef' } })).toEqual({
      headers: { authHeader: REDACTED },
    });
  });

  test('leaves the word token in prose alone', () => {
    for (const value of ['token R6 is the sixth token', 'the token limit is 100'])
      expect(text(value)).toBe(value);
  });

  test('masks a whole cookie header, not just its first cookie', () => {
    expect(text('Cookie: sid=abc123; theme=dark; remember=R3M3MB3R')).toBe(`Cookie: ${REDACTED}`);
    expect(text('curl -H "Cookie: a=1; b=SECONDCOOKIE" x')).toBe(`curl -H "Cookie: ${REDACTED}" x`);
  });
});

describe('URLs', () => {
  test('masks the password of a URL whose user name is empty, as Redis and AMQP urls often are', () => {
    expect(text('redis://:R6_REDISPW26@host:6379')).toBe(`redis://:${REDACTED}@host:6379`);
    expect(text('REDIS_URL=rediss://:R6_REDISPW27@cache.internal:6380/0')).toBe(
      `REDIS_URL=rediss://:${REDACTED}@cache.internal:6380/0`,
    );
    expect(text('amqp://:R6_AMQPPW1@rabbit:5672/vhost')).toBe(`amqp://:${REDACTED}@rabbit:5672/vhost`);
    expect(text('mongodb+srv://u:R6_MONGOPW1@cluster0.example.net/db')).toBe(
      `mongodb+srv://u:${REDACTED}@cluster0.example.net/db`,
    );
  });

  test('leaves urls without a password alone', () => {
    const ordinary = [
      'https://example.com:8443/path?q=1',
      'ssh://git@host:22/repo.git',
      'git@github.com:org/repo.git',
      'redis://cache.internal:6379/0',
    ];
    for (const value of ordinary) expect(text(value), value).toBe(value);
  });
});

describe('name and value entries written as text', () => {
  test('masks the value after a secret name in a YAML env list, and leaves the other entries alone', () => {
    const manifest = [
      'env:',
      '  - name: LOG_LEVEL',
      '    value: debug',
      '  - name: API_KEY',
      '    value: R6_YAMLENV1',
      '  - name: DB_PASSWORD',
      '    valueFrom:',
      '      configMapKeyRef:',
      '        name: db',
      '        key: password',
      '  - name: REGION',
      '    value: eu-west-1',
    ].join('\n');
    expect(text(manifest)).toBe(manifest.replace('R6_YAMLENV1', REDACTED));
  });

  test('masks it in JSON text, which stays JSON', () => {
    const json = JSON.stringify([
      { name: 'API_KEY', value: 'R6_JSONENV1' },
      { Name: 'REGION', Value: 'eu-west-1' },
      { Name: 'DB_PASSWORD', Value: 'R6_JSONENV2' },
    ]);
    const masked = text(json);
    expect(masked).not.toMatch(/R6_/);
    expect(JSON.parse(masked)).toEqual([
      { name: 'API_KEY', value: REDACTED },
      { Name: 'REGION', Value: 'eu-west-1' },
      { Name: 'DB_PASSWORD', Value: REDACTED },
    ]);
  });

  test('masks the second item of a pair list in JSON text', () => {
    expect(text('[["password","R6_PAIRLIST30"],["user","bob"]]')).toBe(
      `[["password","${REDACTED}"],["user","bob"]]`,
    );
    expect(text(`headers=[['Authorization', 'token R6_GHTOKEN29']]`)).toBe(
      `headers=[['Authorization', '${REDACTED}']]`,
    );
  });

  test('leaves lists of ordinary words alone', () => {
    const ordinary = ['["user", "bob"]', '["passage", "x"]', '[password, x]', 'tags: ["a", "b"]'];
    for (const value of ordinary) expect(text(value), value).toBe(value);
  });
});

describe('command lines', () => {
  test('masks the password of curl -u and --user, keeping the user', () => {
    expect(text('curl -u admin:R6_CURLU25 https://api.example.com')).toBe(
      `curl -u admin:${REDACTED} https://api.example.com`,
    );
    expect(text('curl --user admin:R6_CURLU26 https://x.test')).toBe(
      `curl --user admin:${REDACTED} https://x.test`,
    );
    expect(text('curl -uadmin:R6_CURLU27 https://x.test')).toBe(`curl -uadmin:${REDACTED} https://x.test`);
    expect(text('curl --user=admin:R6_CURLU28 https://x.test')).toBe(
      `curl --user=admin:${REDACTED} https://x.test`,
    );
    expect(text(`curl -s -u 'admin:R6 CURL 29' https://x.test`)).toBe(
      `curl -s -u 'admin:${REDACTED}' https://x.test`,
    );
    expect(text('curl -x proxy:3128 -U me:R6_PROXY1 --proxy-user me:R6_PROXY2 x')).toBe(
      `curl -x proxy:3128 -U me:${REDACTED} --proxy-user me:${REDACTED} x`,
    );
    expect(text('C:\\tools\\curl.exe -u :R6_EMPTYUSER https://x.test')).toBe(
      `C:\\tools\\curl.exe -u :${REDACTED} https://x.test`,
    );
  });

  test('follows a command continued on the next line, but not a new command on it', () => {
    expect(text('curl -s \\\n  -u admin:R6_CONT1 \\\n  https://x.test')).toBe(
      `curl -s \\\n  -u admin:${REDACTED} \\\n  https://x.test`,
    );
    expect(text('curl.exe -s `\r\n  --user admin:R6_CONT2 https://x.test')).toBe(
      `curl.exe -s \`\r\n  --user admin:${REDACTED} https://x.test`,
    );
    expect(text('mysql -h db ^\n  -pR6_CONT3 shop')).toBe(`mysql -h db ^\n  -p${REDACTED} shop`);
    expect(text('curl -s https://x.test\ndocker run -u 1000:1000 img')).toBe(
      'curl -s https://x.test\ndocker run -u 1000:1000 img',
    );
  });

  test('leaves -u and --user of other commands, and curl -u without a password, alone', () => {
    const ordinary = [
      'docker run -u 1000:1000 img && docker run --user 1000:1000 img',
      'git push -u origin main',
      'curl -u admin https://x.test',
      'curl https://x.test; sudo -u bob:staff id',
      'curl -u admin: https://x.test',
    ];
    for (const value of ordinary) expect(text(value), value).toBe(value);
  });

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
      `curl ${' -uX'.repeat(200_000)}`,
      `curl ${'--user a:'.repeat(100_000)}`,
      'redis://:'.repeat(100_000),
      '- name: API_KEY\n'.repeat(60_000),
      `name: API_KEY ${'value: '.repeat(100_000)}`,
      '[["password",'.repeat(100_000),
      '["'.repeat(300_000),
      `AKIAIOSFODNN7EXAMPLE ${'a '.repeat(300_000)}`,
      'AKIAIOSFODNN7EXAMPLE '.repeat(50_000),
      `${'AKIAIOSFODNN7EXAMPLE '.repeat(4)}${'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKE '.repeat(20_000)}`,
    ]) {
      redact(value);
    }
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
