// Secrets whose key name sits in a sibling rather than above them: `{"name": "API_KEY", "value": …}` env entries,
// `[["password", …]]` pair lists and an AWS secret access key beside its key id. The value is masked, the name kept.
import { describe, expect, test } from 'vitest';
import { REDACTED, createRedactor } from '../../src/redact/index.js';

const redact = createRedactor({ keys: [], patterns: [] });

const AWS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const GIT_SHA = '3f786850e387550fdab836ed7e6dc881de23001b';

describe('name and value entries (Kubernetes, ECS, Docker, CloudFormation, HAR)', () => {
  test('masks the value of an entry whose name is a secret key name, and keeps the name', () => {
    expect(redact({ name: 'API_KEY', value: 'R6_NAMEVALUE31' })).toEqual({
      name: 'API_KEY',
      value: REDACTED,
    });
    expect(redact({ Name: 'DB_PASSWORD', Value: 'R6_NAMEVALUE32' })).toEqual({
      Name: 'DB_PASSWORD',
      Value: REDACTED,
    });
    expect(redact({ key: 'DB_PASSWORD', value: 'R6_NAMEVALUE33' })).toEqual({
      key: 'DB_PASSWORD',
      value: REDACTED,
    });
    expect(redact({ ParameterKey: 'DbPassword', ParameterValue: 'R6_CFNPARAM1' })).toEqual({
      ParameterKey: 'DbPassword',
      ParameterValue: REDACTED,
    });
  });

  test('masks the value whatever comes first and whatever it holds', () => {
    expect(redact({ value: 'R6_VALUEFIRST', name: 'secret' })).toEqual({ value: REDACTED, name: 'secret' });
    expect(redact({ name: 'db_pass', value: { nested: 'R6_OBJ' } })).toEqual({
      name: 'db_pass',
      value: REDACTED,
    });
  });

  test('masks inside a container env list and leaves the ordinary entries and secret references alone', () => {
    const pod = {
      containers: [
        {
          name: 'api',
          env: [
            { name: 'LOG_LEVEL', value: 'debug' },
            { name: 'API_KEY', value: 'R6_PODENV1' },
            { name: 'DB_PASSWORD', valueFrom: { configMapKeyRef: { name: 'db', key: 'password' } } },
          ],
        },
      ],
    };
    expect(redact(pod)).toEqual({
      containers: [
        {
          name: 'api',
          env: [
            { name: 'LOG_LEVEL', value: 'debug' },
            { name: 'API_KEY', value: REDACTED },
            { name: 'DB_PASSWORD', valueFrom: { configMapKeyRef: { name: 'db', key: 'password' } } },
          ],
        },
      ],
    });
  });

  test('masks a header entry of a HAR or fetch request, GitHub token scheme included', () => {
    const headers = [
      { name: 'Accept', value: 'application/json' },
      { name: 'Authorization', value: 'token R6_GHTOKENSCHEME28abcdef' },
    ];
    expect(redact({ headers })).toEqual({
      headers: [
        { name: 'Accept', value: 'application/json' },
        { name: 'Authorization', value: REDACTED },
      ],
    });
  });

  test('leaves entries named by ordinary words alone', () => {
    const ordinary = [
      { name: 'LOG_LEVEL', value: 'debug' },
      { name: 'author', value: 'alice' },
      { key: 'passage', value: 3 },
      { name: 'API_KEY', title: 'not a value field' },
    ];
    expect(redact(ordinary)).toEqual(ordinary);
  });
});

describe('pair lists', () => {
  test('masks the second item of a pair whose first item is a secret key name', () => {
    expect(
      redact([
        ['password', 'R6_PAIRLIST30'],
        ['user', 'bob'],
      ]),
    ).toEqual([
      ['password', REDACTED],
      ['user', 'bob'],
    ]);
    expect(redact({ headers: [['Authorization', 'token R6_GHTOKENSCHEME28abcdef']] })).toEqual({
      headers: [['Authorization', REDACTED]],
    });
  });

  test('leaves pairs named by ordinary words, and longer lists, alone', () => {
    const ordinary = [
      ['user', 'bob'],
      ['passage', 'x'],
      ['password', 'reset', 'flow'],
      [1, 'password'],
    ];
    expect(redact(ordinary)).toEqual(ordinary);
  });
});

describe('AWS secret access keys without a key name', () => {
  test('masks a 40-character secret beside an access key id in the same object or list', () => {
    expect(redact({ id: AWS_KEY_ID, key: AWS_SECRET, user: 'bob' })).toEqual({
      id: REDACTED,
      key: REDACTED,
      user: 'bob',
    });
    expect(redact({ k: AWS_SECRET, id: 'ASIAIOSFODNN7EXAMPLE' })).toEqual({ k: REDACTED, id: REDACTED });
    expect(redact(['bob', AWS_KEY_ID, AWS_SECRET])).toEqual(['bob', REDACTED, REDACTED]);
  });

  test('masks it right after an access key id in the same string', () => {
    expect(redact(`${AWS_KEY_ID} ${AWS_SECRET}`)).toBe(`${REDACTED} ${REDACTED}`);
    expect(redact(`bob,,${AWS_KEY_ID},${AWS_SECRET},https://console.aws.amazon.com`)).toBe(
      `bob,,${REDACTED},${REDACTED},https://console.aws.amazon.com`,
    );
    expect(
      redact(
        `AWS Access Key ID [None]: ${AWS_KEY_ID}\nAWS Secret Access Key [None]: ${AWS_SECRET}\nDefault region name [None]: eu-west-1`,
      ),
    ).toBe(
      `AWS Access Key ID [None]: ${REDACTED}\nAWS Secret Access Key [None]: ${REDACTED}\nDefault region name [None]: eu-west-1`,
    );
    const second = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECONDKEY2';
    expect(redact(`${AWS_KEY_ID} ASIAIOSFODNN7EXAMPLE ${AWS_SECRET} ${second}`)).toBe(
      `${REDACTED} ${REDACTED} ${REDACTED} ${REDACTED}`,
    );
  });

  test('masks it under the keys AWS uses for it', () => {
    expect(
      redact({ aws_secret_access_key: AWS_SECRET, SecretAccessKey: AWS_SECRET, UserName: 'bob' }),
    ).toEqual({
      aws_secret_access_key: REDACTED,
      SecretAccessKey: REDACTED,
      UserName: 'bob',
    });
  });

  test('leaves 40-character strings alone without a key id before them or beside them', () => {
    const ordinary = [AWS_SECRET, { note: AWS_SECRET, sha: GIT_SHA }, `commit ${GIT_SHA} ${AWS_SECRET}`];
    expect(redact(ordinary)).toEqual(ordinary);
    // In text, only what follows the key id is taken for its secret.
    expect(redact(`${AWS_SECRET} then ${AWS_KEY_ID}`)).toBe(`${AWS_SECRET} then ${REDACTED}`);
  });

  test('leaves git SHAs beside an access key id alone, in lower or upper case', () => {
    expect(redact({ id: AWS_KEY_ID, sha: GIT_SHA, SHA: GIT_SHA.toUpperCase() })).toEqual({
      id: REDACTED,
      sha: GIT_SHA,
      SHA: GIT_SHA.toUpperCase(),
    });
    expect(redact(`${AWS_KEY_ID} ${GIT_SHA}`)).toBe(`${REDACTED} ${GIT_SHA}`);
  });

  test('masks only a secret close after the key id, not one far down the text', () => {
    const far = `${AWS_KEY_ID} ${'lorem ipsum '.repeat(20)}${AWS_SECRET}`;
    expect(redact(far)).toBe(`${REDACTED} ${'lorem ipsum '.repeat(20)}${AWS_SECRET}`);
  });
});
