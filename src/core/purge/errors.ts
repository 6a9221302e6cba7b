/**
 * The one error type of the purge core. `code` is stable (tests, `msg.error.code`, the i18n
 * key `telemetry-purge.errors.<code>`), `params` fill the translated text, and `message` is the
 * English text for logs and for callers without a catalogue.
 */
export class PurgeError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly params: Record<string, string | number> = {},
  ) {
    super(message);
    this.name = 'PurgeError';
  }
}
