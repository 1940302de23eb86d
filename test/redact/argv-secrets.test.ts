// Secrets in command lines passed as a list of arguments, the way shell and exec tools take them: the flag is one item
// and its value the next, so no single string shows both. The value is masked; the flag and the rest stay readable.
import { describe, expect, test } from 'vitest';
import { REDACTED, createRedactor } from '../../src/redact/index.js';

const redact = createRedactor({ keys: [], patterns: [] });

describe('a flag that names a secret, followed by its value', () => {
  test('masks the item after a long flag whose name is a secret key name', () => {
    expect(redact(['deploy', '--password', 'R7_ARGVPW1', '--env', 'prod'])).toEqual([
      'deploy',
      '--password',
      REDACTED,
      '--env',
      'prod',
    ]);
    for (const flag of ['--token', '--api-key', '--secret', '--client-secret', '--db-pass', '--auth-token']) {
      expect(redact(['deploy', flag, 'R7_ARGVSECRET', 'app']), flag).toEqual([
        'deploy',
        flag,
        REDACTED,
        'app',
      ]);
    }
  });

  test('masks the item after a single-dash flag whose name is a secret key name (Go and openssl style)', () => {
    expect(redact(['consul', 'acl', 'token', 'list', '-token', 'R7_GOFLAG1'])).toEqual([
      'consul',
      'acl',
      'token',
      'list',
      '-token',
      REDACTED,
    ]);
    expect(redact(['openssl', 'enc', '-pass', 'pass:R7_OPENSSL1', '-in', 'a.txt'])).toEqual([
      'openssl',
      'enc',
      '-pass',
      REDACTED,
      '-in',
      'a.txt',
    ]);
  });

  test('masks a number given as the value, and the value of the configured keys', () => {
    expect(redact(['app', '--pin-code', 1234, '--secret', 98765])).toEqual([
      'app',
      '--pin-code',
      1234,
      '--secret',
      REDACTED,
    ]);
    const custom = createRedactor({ keys: ['ssn'], patterns: [] });
    expect(custom(['report', '--ssn', '123-45-6789'])).toEqual(['report', '--ssn', REDACTED]);
  });

  test('masks the value in the args of a {command, args} object and in a bare argv list', () => {
    expect(redact({ command: 'deploy', args: ['--api-key', 'R7_ARGSKEY1', 'app'] })).toEqual({
      command: 'deploy',
      args: ['--api-key', REDACTED, 'app'],
    });
    expect(redact({ argv: ['npx', '-y', 'server', '--token', 'R7_NPXTOKEN1'] })).toEqual({
      argv: ['npx', '-y', 'server', '--token', REDACTED],
    });
  });

  test('keeps masking --flag=value inside the item', () => {
    expect(redact(['deploy', '--password=R7_EQUALSPW1', 'app'])).toEqual([
      'deploy',
      `--password=${REDACTED}`,
      'app',
    ]);
  });

  test('leaves the item after ordinary flags, a flag followed by a flag and an empty value alone', () => {
    const ordinary = [
      ['git', 'commit', '-m', 'rotate the token', '--author', 'Alice <a@x.test>'],
      ['docker', 'run', '-p', '8080:80', '-u', '1000:1000', 'img'],
      ['ssh', '-p', '2222', 'host'],
      ['tool', '--password', '--verbose'],
      ['tool', '--password', ''],
      ['tool', '--password'],
      ['ls', '--passage', 'x', '--author', 'bob', '--compass', 'north'],
      ['--', 'password', 'x', 'y'],
    ];
    for (const argv of ordinary) expect(redact(argv), argv.join(' ')).toEqual(argv);
  });
});

describe('curl credentials', () => {
  test('masks the password after -u and --user, keeping the user', () => {
    expect(redact({ command: 'curl', args: ['-u', 'admin:R7_CURLARG1', 'https://x.test'] })).toEqual({
      command: 'curl',
      args: ['-u', `admin:${REDACTED}`, 'https://x.test'],
    });
    expect(redact(['curl', '-s', '-u', 'admin:R7_CURLARG2'])).toEqual([
      'curl',
      '-s',
      '-u',
      `admin:${REDACTED}`,
    ]);
    expect(redact(['curl', '--user', 'admin:R7_CURLARG3', 'https://x.test'])).toEqual([
      'curl',
      '--user',
      `admin:${REDACTED}`,
      'https://x.test',
    ]);
    expect(
      redact(['/usr/bin/curl', '-x', 'proxy:3128', '--proxy-user', 'me:R7_PROXY1', '-U', 'me:R7_PROXY2']),
    ).toEqual([
      '/usr/bin/curl',
      '-x',
      'proxy:3128',
      '--proxy-user',
      `me:${REDACTED}`,
      '-U',
      `me:${REDACTED}`,
    ]);
  });

  test('masks the password glued to -u or after --user=, and one with an empty user or a colon in it', () => {
    expect(redact(['curl', '-uadmin:R7_GLUED1', '--user=admin:R7_GLUED2', '-u', ':R7_EMPTYUSER'])).toEqual([
      'curl',
      `-uadmin:${REDACTED}`,
      `--user=admin:${REDACTED}`,
      '-u',
      `:${REDACTED}`,
    ]);
    expect(redact(['curl.exe', '-u', 'admin:R7:COLON'])).toEqual(['curl.exe', '-u', `admin:${REDACTED}`]);
  });

  test('finds curl in a command field that holds more than the program', () => {
    expect(redact({ cmd: 'curl -s', arguments: ['-u', 'admin:R7_CMDFIELD1', 'https://x.test'] })).toEqual({
      cmd: 'curl -s',
      arguments: ['-u', `admin:${REDACTED}`, 'https://x.test'],
    });
  });

  test('masks token shapes in the user part too', () => {
    expect(redact(['curl', '-u', 'ghp_R7R7R7R7R7R7R7R7R7R7R7R7R7R7R7R7R7R7:x-oauth-basic'])).toEqual([
      'curl',
      '-u',
      `${REDACTED}:${REDACTED}`,
    ]);
  });

  test('leaves -u of other commands, -u before curl, and curl -u without a password alone', () => {
    const ordinary: unknown[] = [
      ['docker', 'run', '-u', '1000:1000', 'img'],
      ['sudo', '-u', 'bob:staff', 'curl', 'https://x.test'],
      ['curl', '-u', 'admin', 'https://x.test'],
      ['curl', '-u', 'admin:', 'https://x.test'],
      ['curl', '-u', '-s', 'https://x.test'],
      { command: 'docker', args: ['run', '-u', '1000:1000', 'img'] },
    ];
    for (const argv of ordinary) expect(redact(argv), JSON.stringify(argv)).toEqual(argv);
  });
});

describe('mysql -p<password>', () => {
  test('masks the password glued to -p after a mysql or mariadb client', () => {
    expect(redact(['mysql', '-u', 'root', '-pR7_MYSQLARG1', 'shop'])).toEqual([
      'mysql',
      '-u',
      'root',
      `-p${REDACTED}`,
      'shop',
    ]);
    expect(redact({ command: 'mysql', args: ['-pR7_MYSQLARG2'] })).toEqual({
      command: 'mysql',
      args: [`-p${REDACTED}`],
    });
    expect(redact(['docker', 'exec', 'db', '/usr/bin/mysqldump', '-pR7_MYSQLARG3', 'shop'])).toEqual([
      'docker',
      'exec',
      'db',
      '/usr/bin/mysqldump',
      `-p${REDACTED}`,
      'shop',
    ]);
    expect(redact({ Command: 'mariadb', Args: ['-hdb', '-pR7_MARIAARG1'] })).toEqual({
      Command: 'mariadb',
      Args: ['-hdb', `-p${REDACTED}`],
    });
  });

  test('leaves a bare -p (prompt) and -p of other commands alone', () => {
    const ordinary: unknown[] = [
      ['mysql', '-p', 'shop'],
      ['mysql', '-p', '-u', 'root'],
      ['mkdir', '-p', '/tmp/x'],
      ['ssh', '-p2222', 'host'],
      ['docker', 'run', '-p', '8080:80', 'img'],
      ['-pR7_NOCLIENT', 'mysql'],
      { command: 'ssh', args: ['-p2222', 'host'] },
    ];
    for (const argv of ordinary) expect(redact(argv), JSON.stringify(argv)).toEqual(argv);
  });
});

describe('what the shape already shows', () => {
  test('masks the password of a connection URL given as an argument', () => {
    expect(redact(['psql', 'postgresql://u:R7_PSQLURL1@h/db'])).toEqual([
      'psql',
      `postgresql://u:${REDACTED}@h/db`,
    ]);
  });

  test('does not change a list of ordinary words or of numbers', () => {
    const ordinary = [
      ['a', 'b', 'c'],
      [1, 2, 3],
      ['- item', '- token list'],
      ['-5', '-10'],
    ];
    for (const list of ordinary) expect(redact(list)).toEqual(list);
  });

  test('does not change its input', () => {
    const argv = ['curl', '-u', 'admin:R7_INPUT1', '--token', 'R7_INPUT2'];
    const args = { command: 'mysql', args: ['-pR7_INPUT3'] };
    redact(argv);
    redact(args);
    expect(argv).toEqual(['curl', '-u', 'admin:R7_INPUT1', '--token', 'R7_INPUT2']);
    expect(args).toEqual({ command: 'mysql', args: ['-pR7_INPUT3'] });
  });
});

describe('cost', () => {
  test('stays fast on long argument lists', () => {
    const started = performance.now();
    for (const argv of [
      Array.from({ length: 50_000 }, () => '--token'),
      ['curl', ...Array.from({ length: 50_000 }, () => '-u')],
      ['mysql', ...Array.from({ length: 50_000 }, () => '-pX')],
      [...Array.from({ length: 50_000 }, () => 'x'.repeat(20)), '-p1', 'mysql', '-u', 'a:b'],
      ['curl', ...Array.from({ length: 50_000 }, () => `-u${'a:'.repeat(10)}`)],
    ]) {
      redact(argv);
      redact({ command: 'curl mysql', args: argv });
    }
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
