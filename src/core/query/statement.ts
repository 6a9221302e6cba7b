/**
 * Turns the node's InfluxQL template and its parameters into what is sent: the statement text
 * and the bound values. Values never enter the text: `$name` stays in the statement and its
 * value goes to InfluxDB as the request's `params` JSON, which the server's parser binds as a
 * literal (a string stays a string whatever quotes, `;` or line breaks it holds). Identifiers
 * cannot be bound in InfluxQL, so `{name}` is replaced by the value quoted with
 * quoteIdentifier. The result is then checked by the InfluxQL scanner: exactly one statement,
 * no comment, and read-only (SELECT without INTO, or SHOW).
 */
import { quoteIdentifier } from '../influxql/quote';
import { scanStatement } from '../influxql/scan';
import { QueryError } from './errors';
import type { ParamValue } from './params';

export interface PreparedQuery {
  /** The statement as sent (identifiers quoted, `$name` placeholders kept). */
  text: string;
  /** The values of the `$name` placeholders the statement uses, and only those. */
  params: Record<string, ParamValue>;
}

const IDENTIFIER_PLACEHOLDER = /^\{([A-Za-z_][A-Za-z0-9_]*)\}/;
const BOUND_PLACEHOLDER = /\$([A-Za-z_][A-Za-z0-9_]*)/g;

/** `{name}` outside quotes → the value as a quoted identifier; quoted text is copied as is. */
function substituteIdentifiers(template: string, params: Record<string, ParamValue>): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const ch = template[i] as string;
    if (ch === '"' || ch === "'") {
      // Copy the quoted token untouched (the scanner checks it afterwards).
      let j = i + 1;
      while (j < template.length && template[j] !== ch) j += template[j] === '\\' ? 2 : 1;
      out += template.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    const m = ch === '{' ? IDENTIFIER_PLACEHOLDER.exec(template.slice(i)) : null;
    if (m) {
      const name = m[1] as string;
      const value = params[name];
      if (typeof value !== 'string' || value === '') {
        throw new QueryError('MISSING_PARAM', `identifier parameter ${name} needs a non-empty string`, { name });
      }
      try {
        out += quoteIdentifier(value);
      } catch (err) {
        throw new QueryError('BAD_PARAMS', `identifier parameter ${name}: ${err instanceof Error ? err.message : String(err)}`, { name });
      }
      i += m[0].length;
      continue;
    }
    out += ch;
    i++;
  }
  return out;
}

/**
 * `maxRows` bounds the answer: a SELECT with no LIMIT (nor OFFSET, SLIMIT, SOFFSET, tz(), after
 * which LIMIT cannot follow) gets `LIMIT maxRows + 1`, so no series of it can exceed the bound
 * (the node then keeps at most maxRows rows in all and flags the rest as truncated).
 */
export function prepareQuery(template: string, params: Record<string, ParamValue>, maxRows: number): PreparedQuery {
  if (!template.trim()) throw new QueryError('NO_QUERY', 'no query: set one in the node or in msg.query');
  const text = substituteIdentifiers(template.trim(), params);
  let skeleton: string;
  try {
    skeleton = scanStatement(text).skeleton;
  } catch (err) {
    throw new QueryError('UNSAFE_QUERY', err instanceof Error ? err.message : String(err));
  }
  if (!/^\s*(SELECT|SHOW)\b/i.test(skeleton) || /\bINTO\b/i.test(skeleton)) {
    throw new QueryError('NOT_READ_ONLY', 'only SELECT (without INTO) and SHOW statements are run');
  }
  let sent = text;
  if (/^\s*SELECT\b/i.test(skeleton) && !/\b(LIMIT|OFFSET|SLIMIT|SOFFSET|tz\s*\()/i.test(skeleton)) sent = `${text} LIMIT ${maxRows + 1}`;
  const bound: Record<string, ParamValue> = {};
  for (const m of skeleton.matchAll(BOUND_PLACEHOLDER)) {
    const name = m[1] as string;
    const value = params[name];
    if (value === undefined) throw new QueryError('MISSING_PARAM', `parameter $${name} has no value (msg.params or the node's parameters)`, { name });
    bound[name] = value;
  }
  return { text: sent, params: bound };
}
