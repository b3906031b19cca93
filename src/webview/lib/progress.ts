/** Training speed and time to completion from the recent metric points. Pure. */

/**
 * Steps per second over the last `window` points, from their step numbers and elapsed times.
 * Undefined while there are fewer than two points or the clock did not advance (e.g. right after
 * a resume reset the elapsed time).
 */
export function stepsPerSecond(steps: ArrayLike<number>, elapsedMs: ArrayLike<number>, window = 50): number | undefined {
  const n = Math.min(steps.length, elapsedMs.length);
  if (n < 2) return undefined;
  let first = Math.max(0, n - window);
  // Only the monotone tail counts: an earlier, larger elapsed time belongs to a previous session.
  for (let i = n - 1; i > first; i--) {
    if (elapsedMs[i - 1] > elapsedMs[i] || steps[i - 1] > steps[i]) {
      first = i;
      break;
    }
  }
  const dSteps = steps[n - 1] - steps[first];
  const dMs = elapsedMs[n - 1] - elapsedMs[first];
  return dSteps > 0 && dMs > 0 ? (dSteps * 1000) / dMs : undefined;
}

/** Milliseconds until `totalSteps` at `rate` steps per second; undefined if the rate is unknown. */
export function etaMs(step: number, totalSteps: number, rate: number | undefined): number | undefined {
  if (rate === undefined || !(rate > 0)) return undefined;
  return (Math.max(0, totalSteps - step) / rate) * 1000;
}
