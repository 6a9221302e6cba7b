import type { TelemetryMsg } from './red';

/**
 * A rejected message for an error output (ARCHITECTURE.md "Conventions"): the original content is kept and
 * `msg.error = { code, message }` says why. `_msgid` is dropped so the runtime assigns a new one
 * (the accepted part may travel on with the original id).
 */
export function rejectedMsg(msg: TelemetryMsg, code: string, message: string, payload: unknown = msg.payload): TelemetryMsg {
  const { _msgid: _ignored, ...rest } = msg;
  return { ...rest, payload, error: { code, message } } as TelemetryMsg;
}

/**
 * An Error that carries a stable code, for `done(err)` and for status text. Named like Node's
 * own coded errors (`Error [ERR_X]: …`), so the code shows in the log and in a Catch node's
 * `msg.error.message`, which Node-RED builds from `err.toString()`.
 */
export class CodedError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = `Error [${code}]`;
  }
}
