// The policy engine sits at the bottom of the dependency graph: it imports nothing from src/ but errors and log.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const policyDir = fileURLToPath(new URL('../../src/policy/', import.meta.url));

test('src/policy imports only itself, errors.ts and log.ts', () => {
  const imports = readdirSync(policyDir)
    .filter((name) => name.endsWith('.ts'))
    .flatMap((name) =>
      [...readFileSync(path.join(policyDir, name), 'utf8').matchAll(/from\s+'(\.[^']+)'/g)].map(
        (match) => `${name} → ${path.posix.join('policy', match[1]!)}`,
      ),
    );
  expect(imports.length).toBeGreaterThan(0);
  const outside = imports.filter((line) => {
    const target = line.split(' → ')[1]!;
    return !target.startsWith('policy/') && target !== 'errors.js' && target !== 'log.js';
  });
  expect(outside).toEqual([]);
});
