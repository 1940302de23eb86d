// Whether the gateway holding a parked call still exists. Its raw arguments live only in its memory: when it is gone,
// the call can never run, and its request must be abandoned rather than left for a reviewer to approve in vain.
import { readFileSync } from 'node:fs';

/** How often a gateway records that it is alive. */
export const GATEWAY_HEARTBEAT_MS = 5_000;
/**
 * A gateway silent this long is gone even when a process with its pid exists: pids are reused (a container's gateway
 * is often pid 1 in every incarnation).
 */
export const GATEWAY_STALE_MS = 6 * GATEWAY_HEARTBEAT_MS;

/**
 * True while a process with this pid exists and is not a zombie (a killed process stays in the table until its parent
 * reaps it, and `kill(pid, 0)` still succeeds then). EPERM means it exists but belongs to another user.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    // Linux: the state is the first field after the command name, which is in parentheses and may hold spaces.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}
