import type { Node } from '../shared/red';

/** Context key of the registry snapshot (visible in the editor's Context sidebar). */
export const STATE_KEY = 'heartbeatRegistry';

/**
 * The node's registry in a Node-RED context store the user picked (`persistStore`). The
 * callback forms work with every store: `memory` (survives redeploys only) and
 * `localfilesystem` (also survives restarts), synchronous or not.
 */
export class ContextStateStore {
  private readonly store: string | undefined;

  constructor(private readonly node: Pick<Node, 'context'>, store: string) {
    this.store = store === '' ? undefined : store;
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
