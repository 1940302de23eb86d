// Several `warden serve` processes share one audit file: their appends must interleave into one intact chain.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { expect, test } from 'vitest';
import { openAuditStore } from '../../src/audit/index.js';
import { useTempDir } from './helpers.js';

const tempDir = useTempDir();
const repo = fileURLToPath(new URL('../../', import.meta.url));
const worker = fileURLToPath(new URL('./fixtures/append-worker.mjs', import.meta.url));

/**
 * Plain Node cannot load the TypeScript sources, so the audit store and what it imports are transpiled (types
 * stripped, nothing bundled) into `outDir`, next to a link to the repo's node_modules. Returns the module URL.
 */
function transpileAuditModule(outDir: string): string {
  const sources = [
    ...['src/audit', 'src/redact'].flatMap((dir) =>
      readdirSync(path.join(repo, dir))
        .filter((name) => name.endsWith('.ts'))
        .map((name) => `${dir}/${name}`),
    ),
    'src/errors.ts',
    'src/log.ts',
    'src/sqlite.ts',
  ];
  for (const source of sources) {
    const { outputText } = ts.transpileModule(readFileSync(path.join(repo, source), 'utf8'), {
      compilerOptions: {
        module: ts.ModuleKind.ESNext,
        target: ts.ScriptTarget.ES2022,
        verbatimModuleSyntax: true,
      },
      fileName: source,
    });
    const target = path.join(outDir, source.replace(/\.ts$/, '.js'));
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, outputText);
  }
  writeFileSync(path.join(outDir, 'package.json'), '{ "type": "module" }\n');
  symlinkSync(path.join(repo, 'node_modules'), path.join(outDir, 'node_modules'), 'dir');
  return pathToFileURL(path.join(outDir, 'src/audit/index.js')).href;
}

/** Resolves with the child's next stdout line that starts with `prefix`. */
function nextLine(child: ChildProcess, prefix: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    let stderr = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const line = buffered.split('\n').find((l) => l.startsWith(prefix));
      if (line !== undefined) {
        child.stdout!.off('data', onData);
        resolve(line);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('exit', (code) =>
      reject(new Error(`worker exited with ${code} before "${prefix}": ${stderr}`)),
    );
  });
}

test('four processes appending in parallel to a new file keep the chain intact', async () => {
  const dir = tempDir();
  const moduleUrl = transpileAuditModule(path.join(dir, 'build'));
  const dbPath = path.join(dir, 'shared', 'warden.db');
  const workers = ['w1', 'w2', 'w3', 'w4'];
  const perWorker = 400;

  // All four open the (not yet existing) file at once: schema creation must happen exactly once.
  const children = workers.map((id) =>
    spawn(process.execPath, [worker, moduleUrl, dbPath, id, String(perWorker)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    }),
  );
  try {
    await Promise.all(children.map((child) => nextLine(child, 'ready')));
    const done = children.map((child) => nextLine(child, 'done'));
    for (const child of children) child.stdin!.write('go\n');
    expect(await Promise.all(done)).toEqual(workers.map(() => `done ${perWorker}`));
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill();
  }

  const store = openAuditStore(dbPath, { readonly: true });
  const total = workers.length * perWorker;
  expect(store.verify()).toMatchObject({ ok: true, count: total });
  const events = [...store.events()];
  expect(events.map((e) => e.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
  for (const id of workers) {
    // Each worker's events are all there, in the order it wrote them.
    const mine = events.filter((e) => e.data.workerId === id).map((e) => e.data.n);
    expect(mine).toEqual(Array.from({ length: perWorker }, (_, i) => i));
  }
  // The appends really interleaved: some event follows one from a different worker mid-stream.
  const switches = events.filter((e, i) => i > 0 && e.data.workerId !== events[i - 1]!.data.workerId).length;
  expect(switches).toBeGreaterThan(workers.length);
  store.close();
  expect(statSync(dbPath).size).toBeGreaterThan(0);
});
