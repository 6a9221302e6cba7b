/**
 * What the query core throws when a query cannot be prepared or its answer cannot be read.
 * `code` is stable (the node puts it in `msg.error.code` and translates it as `errors.<code>`),
 * `params` fill the translated text, `message` is the English text for logs.
 */
export class QueryError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly params: Record<string, string | number> = {},
  ) {
    super(message);
    this.name = 'QueryError';
  }
}
