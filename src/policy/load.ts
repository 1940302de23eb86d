// Reading policy files from disk: a thin layer over compilePolicySources (which holds the format and the rules
// for combining several files: rules in file order, defaults later-file-wins per key, redaction added up).
import { readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { WardenError } from '../errors.js';
import { compilePolicySources, type CompileOptions, type PolicySource } from './compile.js';
import { policyError, type Problem } from './problems.js';
import type { CompiledPolicy } from './types.js';

/** What to tell the operator about where the paths came from, when one cannot be read. */
export interface ReadPolicyOptions {
  /**
   * The end of a "cannot read" message, naming where the path was given. Default: "check the path under `policies:`
   * in warden.yaml"; the CLI says "check the path given on the command line" for files it was given.
   */
  pathHint?: string;
}

export interface LoadPolicyOptions extends CompileOptions, ReadPolicyOptions {}

const DEFAULT_PATH_HINT = 'check the path under `policies:` in warden.yaml';

/** The file itself (symlinks followed), or the absolute path when it cannot be resolved (it is reported anyway). */
function identity(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return path.resolve(file);
  }
}

/**
 * The paths with every file kept once, at its first position, compared by resolved path (`a.yaml`, `./a.yaml` and
 * a symlink to it are one file). Loading one file twice would only report each of its rules as a duplicate of itself.
 */
export function uniquePolicyPaths(paths: readonly string[]): string[] {
  const seen = new Set<string>();
  return paths.filter((file) => {
    const key = identity(file);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Reads every file (each once: see uniquePolicyPaths); a missing or unreadable file is a POLICY_NOT_FOUND problem
 * (all of them are reported at once).
 */
export function readPolicySources(paths: readonly string[], options: ReadPolicyOptions = {}): PolicySource[] {
  const sources: PolicySource[] = [];
  const problems: Problem[] = [];
  for (const file of uniquePolicyPaths(paths)) {
    try {
      sources.push({ file, text: readFileSync(file, 'utf8') });
    } catch (cause) {
      const reason = (cause as NodeJS.ErrnoException).code ?? String(cause);
      problems.push({
        code: 'POLICY_NOT_FOUND',
        location: { file },
        message: `cannot read policy file (${reason}); ${options.pathHint ?? DEFAULT_PATH_HINT}`,
      });
    }
  }
  if (problems.length > 0) throw policyError(problems);
  return sources;
}

/**
 * Loads and compiles policy files, synchronously (the gateway needs its policy before it serves anything). A file
 * listed twice is loaded once. Throws a WardenError naming `file:line:column` and the rule for every problem found.
 */
export function loadPolicyFiles(paths: readonly string[], options: LoadPolicyOptions = {}): CompiledPolicy {
  if (paths.length === 0) {
    throw new WardenError(
      'POLICY_NOT_FOUND',
      'no policy files given; list at least one under `policies:` in warden.yaml',
    );
  }
  const { pathHint, ...compileOptions } = options;
  return compilePolicySources(
    readPolicySources(paths, pathHint === undefined ? {} : { pathHint }),
    compileOptions,
  );
}
