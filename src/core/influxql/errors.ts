/**
 * What the InfluxQL builder throws when a part cannot become safe InfluxQL. `code` is stable
 * (the purge node shows it as `msg.error.code` and translates it as `errors.<code>`), `params`
 * fill the translated text, `message` is the English text for logs.
 */
export class InfluxQLError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly params: Record<string, string | number> = {},
  ) {
    super(message);
    this.name = 'InfluxQLError';
  }
}
