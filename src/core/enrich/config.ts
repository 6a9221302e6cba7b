/**
 * The enrich node's configuration, checked once (README "How each node behaves", telemetry-enrich): the node-wide
 * options and the compiled rule chain. Problems are i18n keys of the enrich catalogue.
 */
import { ConfigProblem, ConfigResult, configResult } from '../config-result';
import { parseOptionalDuration } from '../duration';
import { CompileDeps, CompiledChain, ON_MISSING, OnMissing, RuleConfigError, compileRules } from './rules';

/** Config as saved in the flow (`reloadInterval` is ours). */
export interface EnrichConfigInput {
  rules?: unknown;
  onMissing?: string;
  reloadInterval?: string | number;
}

export interface EnrichSettings {
  chain: CompiledChain;
  /** How often file tables are polled; 0 = only on `msg.control = "reload"`. */
  reloadMs: number;
}

const DEFAULT_RELOAD_INTERVAL_MS = 2_000;

/** `deps` reach the runtime (context, env, JSONata, the table files) while the rules compile. */
export function parseEnrichConfig(config: EnrichConfigInput, deps: Omit<CompileDeps, 'onMissing'>): ConfigResult<EnrichSettings> {
  const problems: ConfigProblem[] = [];
  const onMissing = (config.onMissing || 'pass') as OnMissing;
  if (!ON_MISSING.includes(onMissing)) problems.push({ key: 'onMissing', params: { values: ON_MISSING.join(', ') } });
  let reloadMs = DEFAULT_RELOAD_INTERVAL_MS;
  try {
    reloadMs = parseOptionalDuration(config.reloadInterval, DEFAULT_RELOAD_INTERVAL_MS) as number;
  } catch (err) {
    problems.push({ key: 'reloadInterval', params: { reason: (err as Error).message } });
  }
  let chain: CompiledChain | undefined;
  if (problems.length === 0) {
    try {
      chain = compileRules(config.rules, { ...deps, onMissing });
    } catch (err) {
      if (!(err instanceof RuleConfigError)) throw err;
      problems.push({ key: err.key, params: err.params });
    }
  }
  return configResult(problems, () => ({ chain: chain as CompiledChain, reloadMs }));
}
