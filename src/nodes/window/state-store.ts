import type { Node } from '../shared/red';

/** Context key of the open-window snapshot (visible in the editor's Context sidebar). */
export const STATE_KEY = 'windowState';

/**
 * The node's open windows in the Node-RED context store the user picked (`contextStore`,
 * empty = the default store). Callback forms, so any store works, synchronous or not.
 */
export class ContextStateStore {
  private readonly store: string | undefined;

  constructor(private readonly node: Pick<Node, 'context'>, store: string) {
    this.store = store.trim() === '' ? undefined : store.trim();
  }

  load(): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.node.context().get(STATE_KEY, this.store, (err: Error | undefined, value: unknown) => (err ? reject(err) : resolve(value)));
    });
  }

  save(value: unknown): Promise<void> {
    return new Promise((resolve, reject) => {
      this.node.context().set(STATE_KEY, value, this.store, (err: Error | undefined) => (err ? reject(err) : resolve()));
    });
  }
}
