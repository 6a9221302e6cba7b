import { InfluxQLError } from '../influxql/errors';

/**
 * The one error type of the purge core: the builder's coded errors (InfluxQLError) and the
 * run's own. `code` is stable (tests, `msg.error.code`, the i18n key
 * `telemetry-purge.errors.<code>`), `params` fill the translated text, and `message` is the
 * English text for logs and for callers without a catalogue.
 */
export class PurgeError extends InfluxQLError {
  override name = 'PurgeError';
}
