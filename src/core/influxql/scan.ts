/**
 * An independent check of what the builder produces, run on every statement before it is sent
 * (defence in depth: the quoting functions are the first line, this is the second).
 *
 * It scans InfluxQL the way InfluxDB's scanner does for the parts that matter here: double-quoted
 * identifiers and single-quoted strings, whose only escapes are `\\`, `\"`, `\'` and `\n`, and
 * which may not contain a raw line break. Outside quotes it refuses anything that could end or
 * cut short the statement: `;` (InfluxDB runs several statements per request), comments (`--`,
 * `/*`, which could hide the time bound) and line breaks.
 */
import { InfluxQLError } from './errors';
import { LONE_SURROGATE } from './quote';

export interface ScannedStatement {
  /** The statement with every quoted token replaced by `"?"` or `'?'`: the shape, no data. */
  skeleton: string;
  /** Decoded contents of the double-quoted identifiers, in order. */
  identifiers: string[];
  /** Decoded contents of the single-quoted strings, in order. */
  strings: string[];
}

const ESCAPES: Record<string, string> = { '\\': '\\', '"': '"', "'": "'", n: '\n' };

/** Scans one statement; throws InfluxQLError(UNSAFE_STATEMENT) when it is not exactly one. */
export function scanStatement(text: string): ScannedStatement {
  const identifiers: string[] = [];
  const strings: string[] = [];
  let skeleton = '';
  let i = 0;
  const fail = (why: string): never => {
    throw new InfluxQLError('UNSAFE_STATEMENT', `refusing to send an InfluxQL statement that ${why}`, { why });
  };
  // A lone surrogate reaches the server as U+FFFD: the statement would name something else.
  if (LONE_SURROGATE.test(text)) fail('is not valid Unicode');
  while (i < text.length) {
    const ch = text[i] as string;
    if (ch === '"' || ch === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) fail('has an unterminated quote');
        const c = text[i] as string;
        if (c === '\n' || c === '\r') fail('has a line break inside quotes');
        if (c === '\\') {
          const escaped = ESCAPES[text[i + 1] ?? ''];
          if (escaped === undefined) fail('has an invalid escape inside quotes');
          value += escaped;
          i += 2;
          continue;
        }
        i++;
        if (c === ch) break;
        value += c;
      }
      (ch === '"' ? identifiers : strings).push(value);
      skeleton += ch === '"' ? '"?"' : "'?'";
      continue;
    }
    if (ch === ';') fail('contains a statement separator');
    if (ch === '\n' || ch === '\r' || ch === '\0') fail('has a line break or NUL outside quotes');
    if ((ch === '-' && text[i + 1] === '-') || (ch === '/' && text[i + 1] === '*')) fail('contains a comment');
    skeleton += ch;
    i++;
  }
  return { skeleton, identifiers, strings };
}

/**
 * Checks a statement that reads or changes points: exactly one statement, and its WHERE clause
 * starts with a closed time range `time >= '…' AND time < '…'` outside any quotes.
 */
export function assertBoundedStatement(text: string): ScannedStatement {
  const scanned = scanStatement(text);
  if (!/ WHERE time >= '\?' AND time < '\?'( |$)/.test(scanned.skeleton)) {
    throw new InfluxQLError('UNBOUNDED_STATEMENT', 'refusing to send an InfluxQL statement without a time range', {});
  }
  return scanned;
}
