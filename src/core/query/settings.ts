/**
 * The telemetry-query node's config (README "Charts", node help): the InfluxQL template, its
 * default parameters, the output mode and the row bound.
 */
import { type ConfigProblem, type ConfigResult, configResult } from '../config-result';
import { type ParamValue, checkParams } from './params';

export const OUTPUT_MODES = ['readings', 'chart', 'rows'] as const;
export type OutputMode = (typeof OUTPUT_MODES)[number];

/** Default and ceiling of `maxRows`: one answer never holds more rows than this. */
export const DEFAULT_MAX_ROWS = 10_000;
export const MAX_ROWS_CEILING = 100_000;

export interface QueryConfigInput {
  /** InfluxQL: `$name` = a bound value, `{name}` = an identifier (quoted) — both from params. */
  query?: string;
  /** JSON object of default parameters; `msg.params` overrides them per msg. */
  params?: string;
  output?: string;
  maxRows?: string | number;
}

export interface QuerySettings {
  query: string;
  params: Record<string, ParamValue>;
  output: OutputMode;
  maxRows: number;
}

export function parseQuerySettings(config: QueryConfigInput): ConfigResult<QuerySettings> {
  const problems: ConfigProblem[] = [];
  const query = typeof config.query === 'string' ? config.query.trim() : '';
  let params: Record<string, ParamValue> = {};
  const paramsText = typeof config.params === 'string' ? config.params.trim() : '';
  if (paramsText) {
    try {
      params = checkParams(JSON.parse(paramsText));
    } catch (err) {
      problems.push({ key: 'params', params: { reason: err instanceof Error ? err.message : String(err) } });
    }
  }
  const output = (config.output || 'readings') as OutputMode;
  if (!OUTPUT_MODES.includes(output)) problems.push({ key: 'output', params: { value: String(config.output) } });
  const rawMax = config.maxRows === undefined || config.maxRows === '' ? DEFAULT_MAX_ROWS : Number(config.maxRows);
  if (!Number.isSafeInteger(rawMax) || rawMax < 1 || rawMax > MAX_ROWS_CEILING) {
    problems.push({ key: 'maxRows', params: { value: String(config.maxRows), max: MAX_ROWS_CEILING } });
  }
  return configResult(problems, () => ({ query, params, output, maxRows: rawMax }));
}
