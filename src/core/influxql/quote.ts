/**
 * Quoting for InfluxQL. Every identifier and string literal that reaches a statement goes
 * through these: InfluxQL runs several `;`-separated statements in one request, so an
 * unescaped name is an injection hole, not just a syntax error.
 */

/** `my "db"` → `"my \"db\""`: a double-quoted identifier, backslashes and quotes escaped. */
export function quoteIdentifier(name: string): string {
  if (typeof name !== 'string' || name.length === 0) throw new Error('an InfluxQL identifier cannot be empty');
  if (/[\n\r\0]/.test(name)) throw new Error(`identifier ${JSON.stringify(name)} contains a line break or NUL`);
  return `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** `it's` → `'it\'s'`: a single-quoted string literal. */
export function quoteString(value: string): string {
  if (/[\n\r\0]/.test(value)) throw new Error(`string ${JSON.stringify(value)} contains a line break or NUL`);
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
