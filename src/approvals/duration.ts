// Human durations for messages and cards: "40s", "15m", "2h 5m".

const UNITS: ReadonlyArray<[suffix: string, ms: number]> = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
];

/**
 * A short human duration: the two largest non-zero units, rounded down (`15m`, `2h 5m`, `40s`, `1d 3h`). Below a
 * second it is milliseconds (`500ms`); zero or less is `0s`. Used in outcome reasons ("expired: no decision within
 * 15m") and heartbeats ("4m left"), so it stays short, and rounds down so time left is never overstated.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return '0s';
  if (ms < 1_000) return `${Math.floor(ms)}ms`;
  let rest = Math.floor(ms / 1_000) * 1_000;
  const parts: string[] = [];
  for (const [suffix, size] of UNITS) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count > 0) parts.push(`${count}${suffix}`);
  }
  return parts.slice(0, 2).join(' ');
}
