// Argument paths of a rule's `args`: `options.mode`, `items.0.name`, alternatives `sql|query`, and the wildcards `*`
// (any one key or list item) and `**` (any depth, this level included): `IpPermissions.*.IpRanges.*.CidrIp`.
// Only the arguments' own data is followed, never the prototype; a walk uses its own stack, so arguments nested a
// hundred thousand levels deep cannot overflow the call stack.

/** One alternative of a path: its text (for why lines) and its segments. */
export interface ArgPath {
  readonly text: string;
  readonly segments: readonly string[];
  /** Whether a segment is `*` or `**`: such a path can reach several values. */
  readonly wild: boolean;
}

/** Parses `a.b|c.*.d` into its alternatives, or says what is wrong with it. */
export function parseArgPath(text: string): { paths: ArgPath[] } | { error: string } {
  const paths: ArgPath[] = [];
  for (const alternative of text.split('|')) {
    const segments = alternative.split('.');
    if (segments.some((segment) => segment === ''))
      return {
        error: 'argument paths are dot-separated names (a.b.0.c), alternatives separated by | (sql|query)',
      };
    const glued = segments.find((segment) => segment.includes('*') && segment !== '*' && segment !== '**');
    if (glued !== undefined)
      return {
        error: `"${glued}": a * stands alone in a path, as * (any one key or list item) or ** (any depth)`,
      };
    // `a.**.**.b` reaches what `a.**.b` does, each value once more per extra `**`: keep one.
    const collapsed = segments.filter((segment, i) => segment !== '**' || segments[i - 1] !== '**');
    paths.push({
      text: alternative,
      segments: collapsed,
      wild: collapsed.some((s) => s === '*' || s === '**'),
    });
  }
  return { paths };
}

/** The value at a path without wildcards: own properties only, array indexes for digit segments. */
export function resolveArgPath(args: unknown, path: readonly string[]): { present: boolean; value: unknown } {
  let current = args;
  for (const segment of path) {
    const next = child(current, segment);
    if (next === NOTHING) return { present: false, value: undefined };
    current = next;
  }
  return { present: current !== undefined, value: current };
}

const NOTHING: unique symbol = Symbol('nothing');

function child(value: unknown, segment: string): unknown {
  if (Array.isArray(value)) {
    if (!/^\d+$/.test(segment)) return NOTHING;
    const index = Number(segment);
    return index < value.length ? value[index] : NOTHING;
  }
  if (value !== null && typeof value === 'object' && Object.hasOwn(value, segment))
    return (value as Record<string, unknown>)[segment];
  return NOTHING;
}

/** The keys (or indexes) and values directly inside an object or a list. */
function children(value: unknown): Array<[string, unknown]> {
  if (Array.isArray(value)) return value.map((item, i) => [String(i), item]);
  if (value !== null && typeof value === 'object') return Object.entries(value);
  return [];
}

/** Where a walk stands: a value, the key that led to it (a linked list back to the root), the segment to match next. */
interface Step {
  value: unknown;
  key: string | undefined;
  parent: Step | undefined;
  next: number;
}

function concretePath(step: Step): string[] {
  const path: string[] = [];
  for (let at: Step | undefined = step; at?.key !== undefined; at = at.parent) path.push(at.key);
  return path.reverse();
}

/**
 * Visits each value the path reaches, in document order, with the concrete path to it (`['items', '2', 'name']`),
 * until `visit` returns something other than undefined, which is returned. Undefined when no visit returned one.
 * A value reached by two routes of a `**` (`**.a` at `a.a`) may be visited twice.
 */
export function walkArgPath<T>(
  args: unknown,
  path: ArgPath,
  visit: (value: unknown, at: () => string[]) => T | undefined,
): T | undefined {
  if (!path.wild) {
    const found = resolveArgPath(args, path.segments);
    return found.present ? visit(found.value, () => [...path.segments]) : undefined;
  }
  const { segments } = path;
  const stack: Step[] = [{ value: args, key: undefined, parent: undefined, next: 0 }];
  while (stack.length > 0) {
    const step = stack.pop()!;
    if (step.next === segments.length) {
      if (step.value === undefined) continue;
      const result = visit(step.value, () => concretePath(step));
      if (result !== undefined) return result;
      continue;
    }
    const segment = segments[step.next]!;
    const pushed: Step[] = [];
    if (segment === '**') {
      // Zero levels (match the rest here), then one level down with the `**` still to match.
      pushed.push({ ...step, next: step.next + 1 });
      for (const [key, value] of children(step.value))
        pushed.push({ value, key, parent: step, next: step.next });
    } else if (segment === '*') {
      for (const [key, value] of children(step.value))
        pushed.push({ value, key, parent: step, next: step.next + 1 });
    } else {
      const value = child(step.value, segment);
      if (value !== NOTHING) pushed.push({ value, key: segment, parent: step, next: step.next + 1 });
    }
    // Reversed onto the stack, so values are visited in document order.
    for (let i = pushed.length - 1; i >= 0; i--) stack.push(pushed[i]!);
  }
  return undefined;
}
