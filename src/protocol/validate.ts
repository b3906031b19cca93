/**
 * Small structural checks for messages that cross a boundary. Messages from a webview or a worker
 * are untrusted input: every guard checks the shape it claims before anyone reads a field.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isString(value: unknown, maxLength = 1_000_000): value is string {
  return typeof value === 'string' && value.length <= maxLength;
}

export function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

export function isInteger(value: unknown, min = -Infinity, max = Infinity): value is number {
  return Number.isInteger(value) && (value as number) >= min && (value as number) <= max;
}

export function isOneOf<T extends string>(value: unknown, options: readonly T[]): value is T {
  return typeof value === 'string' && (options as readonly string[]).includes(value);
}

export function isStringArray(value: unknown, maxItems = 10_000): value is string[] {
  return Array.isArray(value) && value.length <= maxItems && value.every((v) => isString(v, 10_000));
}

/** A run id as the run store makes them: date, time and a short random suffix. */
export function isRunId(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9_-]{1,80}$/.test(value);
}
