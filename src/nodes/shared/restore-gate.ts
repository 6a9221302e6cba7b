/**
 * For nodes whose state is read back from a context store before they can take msgs (heartbeat
 * watch, alert): `restoreThenStart` reads it and calls `start` once, and a `RestoreGate` holds
 * the inputs that arrive meanwhile and hands them back in order.
 */
import type { ContextStateStore } from './context-state';
import type { Done, Node, Send, TelemetryMsg } from './red';
import type { Translate } from './translate';

/** Inputs held while the state is read back: the memory bound of the wait. */
export const MAX_HELD_INPUTS = 10_000;

type Input = [TelemetryMsg, Send, Done];

export class RestoreGate {
  private held: Input[] = [];

  /** Holds an input until `release`; false when MAX_HELD_INPUTS are held (the caller refuses it). */
  hold(msg: TelemetryMsg, send: Send, done: Done): boolean {
    if (this.held.length >= MAX_HELD_INPUTS) return false;
    this.held.push([msg, send, done]);
    return true;
  }

  /** Hands every held input to `input`, in the order they came. */
  release(input: (msg: TelemetryMsg, send: Send, done: Done) => void): void {
    for (const [msg, send, done] of this.held.splice(0)) input(msg, send, done);
  }

  /** Fails every held input (the node closes before its state came back). */
  fail(error: () => Error): void {
    for (const [, , done] of this.held.splice(0)) done(error());
  }
}

/**
 * Calls `start` with the stored state, or with undefined when there is no store or the read
 * failed (with a warning): the node then starts empty rather than not at all. The catalogue
 * needs `status.restoring` and `warn.load-failed` (`__message__`).
 */
export function restoreThenStart(
  node: Pick<Node, 'status' | 'warn'>,
  t: Translate,
  store: ContextStateStore | undefined,
  start: (value: unknown) => void,
): void {
  if (!store) {
    start(undefined);
    return;
  }
  node.status({ fill: 'grey', shape: 'ring', text: t('status.restoring') });
  store.load().then(start, (err: Error) => {
    node.warn(t('warn.load-failed', { message: err.message }));
    start(undefined);
  });
}
