/**
 * Event-time normalisation: whatever a device sends as its timestamp becomes epoch ms.
 *
 * Numbers carry no unit, so the unit is read from the magnitude, as Telegraf's `unix` parsers
 * and most IoT back ends do. The boundaries sit where two units would mean the same year only
 * far outside any plausible reading time:
 *   |t| < 1e11  → seconds       (1e11 s  is the year 5138; 1e11 ms would be 1973-03-03)
 *   |t| < 1e14  → milliseconds  (1e14 ms is the year 5138; 1e14 µs would be 1973-03-03)
 *   |t| < 1e17  → microseconds
 *   otherwise   → nanoseconds
 * Text holding digits is read the same way (ns digits exactly, through BigInt); other text
 * must be ISO-8601. Plausibility (not "too far in the future or past") is a separate check.
 */

export type EpochUnit = 's' | 'ms' | 'us' | 'ns';

export type TimestampResult = { ok: true; ms: number } | { ok: false; reason: string };

const SECONDS_BELOW = 1e11;
const MILLIS_BELOW = 1e14;
const MICROS_BELOW = 1e17;

export function epochUnit(value: number): EpochUnit {
  const abs = Math.abs(value);
  if (abs < SECONDS_BELOW) return 's';
  if (abs < MILLIS_BELOW) return 'ms';
  if (abs < MICROS_BELOW) return 'us';
  return 'ns';
}

/** A number of s/ms/µs/ns (unit from its magnitude) → epoch ms. */
export function epochToMs(value: number): number {
  switch (epochUnit(value)) {
    case 's':
      // Rounded, not floored: 1700000000.123 * 1000 is 1700000000122.9998 in binary floating point.
      return Math.round(value * 1_000);
    case 'ms':
      return Math.floor(value);
    case 'us':
      return Math.floor(value / 1_000);
    default:
      return Math.floor(value / 1_000_000);
  }
}

const DIGITS = /^[+-]?\d+(?:\.\d+)?$/;

/** Digits as text: integers go through BigInt so 19-digit nanoseconds keep their last ms digit. */
function digitsToMs(text: string): number {
  const intPart = /^[+-]?\d+$/.test(text);
  const asNumber = Number(text);
  if (!intPart || Math.abs(asNumber) < Number.MAX_SAFE_INTEGER) return epochToMs(asNumber);
  const value = BigInt(text.replace(/^\+/, ''));
  const divisor = epochUnit(asNumber) === 'ns' ? 1_000_000n : 1_000n;
  const quotient = value / divisor;
  // BigInt division truncates toward zero; a clock rounds toward the past.
  return Number(value < 0n && quotient * divisor !== value ? quotient - 1n : quotient);
}

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?$/;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * ISO-8601 / RFC 3339 date-times (`2024-05-01T12:00:00.123Z`, `+02:00`, `+0200`, a space instead
 * of `T`, a date alone). Without a zone offset the time is read as UTC, so the result does not
 * depend on the time zone of the machine running Node-RED.
 */
export function parseIsoTimestamp(text: string): number | undefined {
  const m = ISO.exec(text);
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const [hour, minute, second] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  // Second 60 is a leap second; Date.UTC rolls it over into the next minute.
  if (hour > 23 || minute > 59 || second > 60) return undefined;
  const millis = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
  let offsetMinutes = 0;
  if (m[9]) {
    const offHours = Number(m[10]);
    const offMinutes = Number(m[11] ?? 0);
    if (offHours > 23 || offMinutes > 59) return undefined;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (offHours * 60 + offMinutes);
  }
  const utc = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0-99 to 1900-1999.
  utc.setUTCFullYear(year, month - 1, day);
  utc.setUTCHours(hour, minute, second, millis);
  return utc.getTime() - offsetMinutes * 60_000;
}

/** Reads a timestamp value of any supported kind; never throws. */
export function toEpochMs(value: unknown): TimestampResult {
  if (typeof value === 'number') {
    return Number.isFinite(value) ? { ok: true, ms: epochToMs(value) } : { ok: false, reason: `timestamp ${value} is not a finite number` };
  }
  if (typeof value === 'string') {
    const text = value.trim();
    if (DIGITS.test(text)) return { ok: true, ms: digitsToMs(text) };
    const iso = text.length <= 64 ? parseIsoTimestamp(text) : undefined;
    if (iso !== undefined && Number.isFinite(iso)) return { ok: true, ms: iso };
    return { ok: false, reason: `timestamp ${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)} is neither a number nor an ISO-8601 date-time` };
  }
  if (value instanceof Date) {
    const ms = value.getTime();
    return Number.isFinite(ms) ? { ok: true, ms } : { ok: false, reason: 'timestamp is an invalid Date' };
  }
  return { ok: false, reason: `timestamp must be a number or ISO-8601 text, got ${describe(value)}` };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : typeof value;
}

export interface TimeBounds {
  /** undefined = no bound */
  maxFutureMs: number | undefined;
  maxPastMs: number | undefined;
}

/** Returns why `ts` is implausibly far from `now`, or undefined when it is within the bounds. */
export function checkTimeBounds(ts: number, now: number, bounds: TimeBounds): string | undefined {
  if (bounds.maxFutureMs !== undefined && ts - now > bounds.maxFutureMs) {
    return `timestamp ${formatInstant(ts)} is ${roughDuration(ts - now)} in the future (maxFuture allows ${roughDuration(bounds.maxFutureMs)})`;
  }
  if (bounds.maxPastMs !== undefined && now - ts > bounds.maxPastMs) {
    return `timestamp ${formatInstant(ts)} is ${roughDuration(now - ts)} in the past (maxPast allows ${roughDuration(bounds.maxPastMs)})`;
  }
  return undefined;
}

/** ISO text when the instant is within the range of Date, else the number. */
export function formatInstant(ms: number): string {
  return Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(ms);
}

/** A duration for people: "45 s", "12 min", "5 h", "3 days", "12.5 years". */
export function roughDuration(ms: number): string {
  const s = ms / 1_000;
  if (s < 120) return `${trim(s)} s`;
  if (s < 7_200) return `${trim(s / 60)} min`;
  if (s < 172_800) return `${trim(s / 3_600)} h`;
  if (s < 63_072_000) return `${trim(s / 86_400)} days`;
  return `${trim(s / 31_557_600)} years`;
}

function trim(n: number): string {
  return n >= 100 ? String(Math.round(n)) : String(Math.round(n * 10) / 10);
}
