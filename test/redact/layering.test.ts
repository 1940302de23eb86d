// The audit and redaction modules sit at the bottom of the dependency graph: they import nothing else from src/.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const src = fileURLToPath(new URL('../../src/', import.meta.url));

/** Every relative import of the .ts files in `dir`, resolved to a path under src/. */
function relativeImports(dir: string): Array<{ file: string; target: string }> {
  return readdirSync(path.join(src, dir))
    .filter((name) => name.endsWith('.ts'))
    .flatMap((name) => {
      const text = readFileSync(path.join(src, dir, name), 'utf8');
      return [...text.matchAll(/from\s+'(\.[^']+)'/g)].map((match) => ({
        file: `${dir}/${name}`,
        target: path.posix.join(dir, match[1]!),
      }));
    });
}

test('src/redact imports only itself and errors.ts', () => {
  const outside = relativeImports('redact').filter(
    ({ target }) => !target.startsWith('redact/') && target !== 'errors.js',
  );
  expect(outside).toEqual([]);
});

test('src/audit imports only itself, redact, and the ground-floor errors.ts, log.ts and sqlite.ts', () => {
  const allowed = (target: string) =>
    target.startsWith('audit/') ||
    target.startsWith('redact/') ||
    target === 'errors.js' ||
    target === 'log.js' ||
    target === 'sqlite.js';
  const outside = relativeImports('audit').filter(({ target }) => !allowed(target));
  expect(outside).toEqual([]);
  expect(relativeImports('audit').length).toBeGreaterThan(0);
});
