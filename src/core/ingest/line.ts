/**
 * InfluxDB line protocol payloads → readings, through the shared parser (core/line-protocol).
 *
 * Line protocol means nanoseconds unless told otherwise, but devices that write it by hand
 * often send seconds or milliseconds. The unit of each timestamp is read from its magnitude
 * (timestamp.ts), so all four work. Each line keeps its own measurement; topic-template tags
 * are added (and win over the line's tags of the same name).
 */
import { LineProtocolError, parseLine, parseLines } from '../line-protocol';
import type { Reading } from '../reading';
import { DraftContext, ReadingDraft } from './draft';
import { epochToMs } from './timestamp';

/** The parser's "now" for lines without a timestamp: never a real time. */
const NO_TIME = NaN;

/** Nanosecond timestamps have 17+ digits from 1973 on; below that the digits fit a double exactly. */
const NANOSECOND_TIMESTAMP = /[ \t]-?\d{17,}[ \t\r]*$/;

/** Returns the readings; refusals (bad lines, bad readings) go to `ctx.rejections`. */
export function lineToReadings(text: string, ctx: DraftContext): { readings: Reading[]; lines: number } {
  const firstLine = firstDataLine(text);
  // Parsing as "ms" passes a timestamp's digits through unchanged (then read by magnitude);
  // nanoseconds exceed 2^53 there, so a payload that starts with one is parsed as "ns".
  const precision = NANOSECOND_TIMESTAMP.test(firstLine) ? 'ns' : 'ms';
  // NO_TIME marks lines without a timestamp, so the draft knows the time is not the device's own.
  const parsed = parseLines(text, NO_TIME, precision);
  const raw: Reading[] = parsed.readings;
  const errors: LineProtocolError[] = [];
  let retries = 0;
  for (const error of parsed.errors) {
    // A nanosecond line after a shorter first one: "ms" refuses it as unsafe, "ns" reads it.
    const retried = precision === 'ms' && /invalid timestamp/.test(error.message) ? tryParse(error.line, NO_TIME) : undefined;
    if (retried) {
      raw.push(retried);
      retries++;
    } else {
      errors.push(error);
    }
  }
  const lines = raw.length + errors.length;
  for (const error of errors) ctx.rejections.push({ code: 'PARSE_ERROR', message: error.message, scope: 'item' });
  // Positions are only exact when the parser refused no line (its errors quote the line instead).
  const positional = errors.length === 0 && retries === 0 && lines > 1;
  const readings: Reading[] = [];
  raw.forEach((parsedReading, i) => {
    const draft = new ReadingDraft(ctx, positional ? i : undefined);
    draft.measurement = parsedReading.measurement;
    for (const key of Object.keys(parsedReading.tags)) draft.addTag(key, parsedReading.tags[key]);
    for (const key of Object.keys(parsedReading.fields)) draft.addField(key, parsedReading.fields[key]);
    // Lines without a time get the arrival time in finish().
    const time = parsedReading.timestamp;
    draft.timestamp = Number.isNaN(time) ? undefined : precision === 'ms' ? epochToMs(time) : time;
    const reading = draft.finish();
    if (reading) readings.push(reading);
  });
  return { readings, lines };
}

function tryParse(line: string, now: number): Reading | undefined {
  try {
    return parseLine(line, now, 'ns');
  } catch {
    return undefined;
  }
}

/** The first line that is neither blank nor a comment (its timestamp decides the precision). */
function firstDataLine(text: string): string {
  let start = 0;
  while (start < text.length) {
    const end = text.indexOf('\n', start);
    const line = text.slice(start, end < 0 ? text.length : end);
    const trimmed = line.trim();
    if (trimmed !== '' && !trimmed.startsWith('#')) return line;
    if (end < 0) break;
    start = end + 1;
  }
  return '';
}
