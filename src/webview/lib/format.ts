/** Human-readable numbers, durations and estimates for headers, tables and tooltips. Pure. */

/** "0s", "42s", "3m 05s", "1h 02m", "2d 3h"; negative or non-finite input reads as an em dash. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${pad2(s % 60)}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${pad2(m % 60)}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** Remaining time, or an em dash when unknown (no rate yet, paused, finished). */
export function formatEta(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return '—';
  return ms < 1000 ? '<1s' : formatDuration(ms);
}

/** 950, 12.3k, 1.25M, 3.4G: counts such as parameters, tokens and tokens per second. */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return '—';
  const abs = Math.abs(n);
  if (abs < 1000) return String(Math.round(n));
  const units = ['k', 'M', 'G', 'T'];
  let v = n;
  let u = -1;
  while (Math.abs(v) >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${Number(v.toPrecision(3))}${units[u]}`;
}

/** A loss in nats with three decimals (the precision at which runs differ), or an em dash. */
export function formatLoss(x: number | undefined): string {
  return x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(3);
}

/** Values spanning many decades (gradient norms): 3 significant digits, exponent form outside [0.01, 1e4). */
export function formatSci(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const abs = Math.abs(x);
  if (abs >= 0.01 && abs < 1e4) return String(Number(x.toPrecision(3)));
  const [m, e] = x.toExponential(2).split('e');
  return `${Number(m)}e${Number(e)}`;
}

/** Local date and time of an ISO timestamp, compact ("2024-05-01 14:03"); the input if unparsable. */
export function formatTimestamp(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
}

/** The last segment of a path, for lists where the full path is in a tooltip. */
export function baseName(path: string): string {
  const parts = path.split(/[\\/]/).filter((p) => p.length > 0);
  return parts.length ? parts[parts.length - 1] : path;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}
