/**
 * The one duration parser every node uses for config (ARCHITECTURE.md "Conventions"): `500ms`, `10s`, `5m`, `1h`,
 * `30d`, `2w`, combinations such as `1h30m`, and plain numbers meaning milliseconds.
 */

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

export class DurationError extends Error {
  constructor(readonly input: unknown, reason: string) {
    super(`invalid duration ${describeInput(input)}: ${reason}`);
    this.name = 'DurationError';
  }
}

/** Input as the message shows it: JSON.stringify says "null" for NaN and throws on cycles. */
function describeInput(input: unknown): string {
  if (typeof input === 'string') return JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}…` : input);
  if (input === null || typeof input !== 'object') return String(input);
  return Array.isArray(input) ? 'an array' : 'an object';
}

const PART = /(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)/y;

/** Parses a duration to milliseconds; throws DurationError with a readable reason. */
export function parseDuration(input: unknown): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) throw new DurationError(input, 'must be a non-negative number');
    return input;
  }
  if (typeof input !== 'string') throw new DurationError(input, 'expected text such as "10s" or a number of ms');
  const text = input.trim().toLowerCase();
  if (text === '') throw new DurationError(input, 'it is empty');
  if (text.startsWith('-')) throw new DurationError(input, 'it must not be negative');
  if (/^\d+(\.\d+)?$/.test(text)) return finite(input, Number(text));

  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const start = PART.lastIndex;
    const match = PART.exec(text);
    if (!match) {
      const unread = text.slice(start);
      throw new DurationError(
        input,
        `cannot read "${unread.length > 40 ? `${unread.slice(0, 40)}…` : unread}"; use a number followed by ms, s, m, h, d or w`,
      );
    }
    total += Number(match[1]) * (UNIT_MS[match[2] as string] as number);
    while (text[PART.lastIndex] === ' ') PART.lastIndex++;
  }
  return finite(input, total);
}

/** Hundreds of digits overflow to Infinity, which a timer would treat as 1 ms. */
function finite(input: unknown, ms: number): number {
  if (!Number.isFinite(ms)) throw new DurationError(input, 'it is too large');
  return ms;
}

/** Parses an optional duration: empty or missing means `fallback`. */
export function parseOptionalDuration(input: unknown, fallback: number | undefined): number | undefined {
  if (input === undefined || input === null || (typeof input === 'string' && input.trim() === '')) return fallback;
  return parseDuration(input);
}

/** The shortest exact text for a duration: 60000 → "1m", 90000 → "90s", 1500 → "1500ms". */
export function formatDuration(ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm', 's'] as const) {
    const size = UNIT_MS[unit] as number;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
