/**
 * Quoting for InfluxQL. Every identifier and string literal that reaches a statement goes
 * through these: InfluxQL runs several `;`-separated statements in one request, so an
 * unescaped name is an injection hole, not just a syntax error.
 */

/** `my "db"` → `"my \"db\""`: a double-quoted identifier, backslashes and quotes escaped. */
export function quoteIdentifier(name: string): string {
  if (typeof name !== 'string' || name.length === 0) throw new Error('an InfluxQL identifier cannot be empty');
  checkText('identifier', name);
  return `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** `it's` → `'it\'s'`: a single-quoted string literal. */
export function quoteString(value: string): string {
  checkText('string', value);
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** A lone UTF-16 surrogate reaches the server as U+FFFD, which would name something else. */
export const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function checkText(what: string, text: string): void {
  if (/[\n\r\0]/.test(text)) throw new Error(`${what} ${JSON.stringify(text)} contains a line break or NUL`);
  if (LONE_SURROGATE.test(text)) throw new Error(`${what} ${JSON.stringify(text)} contains a lone UTF-16 surrogate`);
}
