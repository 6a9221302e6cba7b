/**
 * Query parameters: a flat object of strings, finite numbers and booleans. They travel to
 * InfluxDB as the `params` JSON of the request (bound by the server, never spliced into the
 * text), except where the query names one as an identifier (`{name}`), which is quoted.
 */
import { LONE_SURROGATE } from '../influxql/quote';
import { QueryError } from './errors';

export type ParamValue = string | number | boolean;

/** Names as InfluxQL's scanner reads a bound parameter after `$`. */
export const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The object as params, or QueryError(BAD_PARAMS) saying which entry is wrong. */
export function checkParams(value: unknown): Record<string, ParamValue> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new QueryError('BAD_PARAMS', 'parameters must be an object of name → value');
  const out: Record<string, ParamValue> = {};
  for (const [name, v] of Object.entries(value as Record<string, unknown>)) {
    if (!PARAM_NAME.test(name)) throw new QueryError('BAD_PARAMS', `parameter name ${JSON.stringify(name)} is not a name (letters, digits, _)`, { name });
    if (typeof v === 'number' && !Number.isFinite(v)) throw new QueryError('BAD_PARAMS', `parameter ${name} is not a finite number`, { name });
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
      throw new QueryError('BAD_PARAMS', `parameter ${name} must be a string, number or boolean`, { name });
    }
    // A lone surrogate reaches the server as U+FFFD: the value would match something else.
    if (typeof v === 'string' && LONE_SURROGATE.test(v)) throw new QueryError('BAD_PARAMS', `parameter ${name} is not valid Unicode`, { name });
    out[name] = v;
  }
  return out;
}
