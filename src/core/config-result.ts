/**
 * The one shape every node's config parser returns. A problem names an i18n key under the
 * node's `errors.` namespace (e.g. `errors.batchSize`) and its parameters, so the shell can
 * show it in the user's language; the core never builds user-facing sentences for config.
 */
export interface ConfigProblem {
  key: string;
  params?: Record<string, string | number>;
}

export type ConfigResult<S> = { ok: true; settings: S } | { ok: false; problems: ConfigProblem[] };

export function configOk<S>(settings: S): ConfigResult<S> {
  return { ok: true, settings };
}

export function configFailed<S>(problems: ConfigProblem[]): ConfigResult<S> {
  return { ok: false, problems };
}

/** ok when nothing was found wrong; the usual ending of a parser that collects problems. */
export function configResult<S>(problems: ConfigProblem[], build: () => S): ConfigResult<S> {
  return problems.length > 0 ? configFailed(problems) : configOk(build());
}
