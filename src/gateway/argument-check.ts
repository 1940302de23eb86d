// Arguments the gateway refuses before anything else looks at them, because the policy, the log and the downstream
// tool would not all see the same thing, or because reading them would exhaust the stack:
// - a number JSON cannot carry: `1e400` parses to Infinity, which a bound such as `gte: 100` does not hold for, and
//   which JSON.stringify then sends downstream, and writes to the log, as `null`;
// - nesting deeper than MAX_ARGUMENT_DEPTH: every reader after this one (canonical JSON, the redactor, the policy)
//   recurses, and no tool's input schema nests this deep.

/** Deepest nesting of objects and lists accepted in a call's arguments. */
export const MAX_ARGUMENT_DEPTH = 64;

const MAX_SHOWN_PATH = 80;

/** Where a walk stands: a value, the key that led to it, and the step before (the path is built only to report). */
interface Step {
  value: unknown;
  key: string;
  parent: Step | undefined;
  depth: number;
}

function pathText(step: Step): string {
  const keys: string[] = [];
  for (let at: Step | undefined = step; at?.parent !== undefined; at = at.parent) keys.push(at.key);
  const text = ['args', ...keys.reverse()].join('.');
  return text.length > MAX_SHOWN_PATH ? `${text.slice(0, MAX_SHOWN_PATH)}…` : text;
}

/** What is wrong with the arguments, naming where, or undefined when nothing is. Walks with its own stack. */
export function argumentProblem(args: unknown): string | undefined {
  const stack: Step[] = [{ value: args, key: '', parent: undefined, depth: 0 }];
  while (stack.length > 0) {
    const step = stack.pop()!;
    const { value } = step;
    if (typeof value === 'number') {
      if (!Number.isFinite(value))
        return `${pathText(step)} is a number too large for JSON to carry (it reads as ${value}); send it as a string`;
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (step.depth >= MAX_ARGUMENT_DEPTH)
      return `${pathText(step)} nests more than ${MAX_ARGUMENT_DEPTH} levels deep, which no tool input needs`;
    const depth = step.depth + 1;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++)
        stack.push({ value: value[i], key: String(i), parent: step, depth });
    } else {
      for (const key in value) {
        if (Object.hasOwn(value, key))
          stack.push({ value: (value as Record<string, unknown>)[key], key, parent: step, depth });
      }
    }
  }
  return undefined;
}
