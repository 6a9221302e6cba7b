/**
 * The one duration parser every node uses for config (DESIGN.md §4): `500ms`, `10s`, `5m`, `1h`,
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
    super(`invalid duration ${JSON.stringify(input)}: ${reason}`);
    this.name = 'DurationError';
  }
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
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);

  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const start = PART.lastIndex;
    const match = PART.exec(text);
    if (!match) {
      throw new DurationError(input, `cannot read "${text.slice(start)}"; use a number followed by ms, s, m, h, d or w`);
    }
    total += Number(match[1]) * (UNIT_MS[match[2] as string] as number);
    while (text[PART.lastIndex] === ' ') PART.lastIndex++;
  }
  return total;
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
