// Reading policy files from disk: a thin layer over compilePolicySources (which holds the format and the rules
// for combining several files: rules in file order, defaults later-file-wins per key, redaction added up).
import { readFileSync } from 'node:fs';
import { WardenError } from '../errors.js';
import { compilePolicySources, type CompileOptions, type PolicySource } from './compile.js';
import { policyError, type Problem } from './problems.js';
import type { CompiledPolicy } from './types.js';

/** Reads every file; a missing or unreadable file is a POLICY_NOT_FOUND problem (all of them are reported at once). */
export function readPolicySources(paths: readonly string[]): PolicySource[] {
  const sources: PolicySource[] = [];
  const problems: Problem[] = [];
  for (const file of paths) {
    try {
      sources.push({ file, text: readFileSync(file, 'utf8') });
    } catch (cause) {
      const reason = (cause as NodeJS.ErrnoException).code ?? String(cause);
      problems.push({
        code: 'POLICY_NOT_FOUND',
        location: { file },
        message: `cannot read policy file (${reason}); check the path under \`policies:\` in warden.yaml`,
      });
    }
  }
  if (problems.length > 0) throw policyError(problems);
  return sources;
}

/**
 * Loads and compiles policy files, synchronously (the gateway needs its policy before it serves anything).
 * Throws a WardenError naming `file:line:column` and the rule for every problem found.
 */
export function loadPolicyFiles(paths: readonly string[], options: CompileOptions = {}): CompiledPolicy {
  if (paths.length === 0) {
    throw new WardenError(
      'POLICY_NOT_FOUND',
      'no policy files given; list at least one under `policies:` in warden.yaml',
    );
  }
  return compilePolicySources(readPolicySources(paths), options);
}
