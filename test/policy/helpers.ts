// Shared test helpers for the policy engine: compile inline YAML, build calls, catch policy errors.
import { expect } from 'vitest';
import { WardenError } from '../../src/errors.js';
import { compilePolicySources, type CompiledPolicy, type PolicyCall } from '../../src/policy/index.js';

/** Lines joined with '\n', so a test can count lines for the file:line:column it expects. */
export function yaml(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

/** Compiles one inline policy file named `policy.yaml`. */
export function compile(text: string, file = 'policy.yaml'): CompiledPolicy {
  return compilePolicySources([{ file, text }]);
}

export function call(
  tool: string,
  args: Record<string, unknown> = {},
  extra: Partial<PolicyCall> = {},
): PolicyCall {
  return { server: 'srv', tool, args, ...extra };
}

/** Ids of the rules that fired, deciding rule first. */
export function firedIds(policy: CompiledPolicy, c: PolicyCall): string[] {
  return policy.evaluate(c).matches.map((m) => m.ruleId);
}

/** The WardenError that `fn` throws (fails the test when it does not throw one). */
export function policyErrorOf(fn: () => unknown): WardenError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(WardenError);
    return error as WardenError;
  }
  throw new Error('expected a WardenError, but nothing was thrown');
}
