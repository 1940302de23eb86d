// Exposed names: `<server>__<tool>`, sanitized to what MCP hosts accept, kept unique, and looked up through an
// explicit map (never by splitting strings: a tool name may itself contain `__`).
import { createHash } from 'node:crypto';

/** Claude Desktop rejects tool names outside this pattern. */
export const EXPOSED_NAME_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;

export const NAME_SEPARATOR = '__';

/** Replaces characters outside [a-zA-Z0-9_-] with `_`. */
export function sanitizeNamePart(part: string): string {
  const cleaned = part.replace(/[^a-zA-Z0-9_-]/g, '_');
  return cleaned.length > 0 ? cleaned : '_';
}

/**
 * Builds the exposed name for a downstream tool. Over-long names are cut and suffixed with a short hash of the
 * original, so two long names that share a prefix stay distinct and the same input always gives the same name.
 */
export function exposedName(server: string, tool: string): string {
  const full = `${sanitizeNamePart(server)}${NAME_SEPARATOR}${sanitizeNamePart(tool)}`;
  if (full.length <= 64) return full;
  const digest = createHash('sha256').update(`${server}\u0000${tool}`).digest('hex').slice(0, 8);
  return `${full.slice(0, 64 - digest.length - 1)}_${digest}`;
}

export interface NamedEntry<T> {
  server: string;
  /** The name on the downstream server. */
  name: string;
  item: T;
}

/**
 * Maps exposed names to downstream entries. Servers are taken in the given order; a collision after sanitizing
 * (e.g. `a.b` and `a_b`) gets a numeric suffix, and is reported through `onCollision`.
 *
 * Security: `assigned` (server and tool to exposed name) is kept by the caller for the whole session and updated
 * here. A name once given stays with its tool, and is never given to another one, even after its tool went away: a
 * tool that appears later (a list_changed, a restart) cannot take over a name the agent already knows, so a call
 * can only reach the tool the agent was shown under that name.
 */
export function buildNameMap<T>(
  entries: Iterable<NamedEntry<T>>,
  assigned: Map<string, string> = new Map(),
  onCollision?: (entry: NamedEntry<T>, given: string) => void,
): Map<string, NamedEntry<T>> {
  const map = new Map<string, NamedEntry<T>>();
  const fresh: NamedEntry<T>[] = [];
  for (const entry of entries) {
    const kept = assigned.get(assignmentKey(entry));
    if (kept === undefined) fresh.push(entry);
    else map.set(kept, entry);
  }
  const taken = new Set(assigned.values());
  for (const entry of fresh) {
    let name = exposedName(entry.server, entry.name);
    if (taken.has(name)) {
      const base = name.slice(0, 60);
      let n = 2;
      while (taken.has(`${base}_${n}`)) n += 1;
      const unique = `${base}_${n}`;
      onCollision?.(entry, unique);
      name = unique;
    }
    taken.add(name);
    assigned.set(assignmentKey(entry), name);
    map.set(name, entry);
  }
  return map;
}

function assignmentKey(entry: NamedEntry<unknown>): string {
  return `${entry.server}\u0000${entry.name}`;
}
