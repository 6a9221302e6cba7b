import type { Node, NodeAPI } from './red';

/**
 * Whether settings.js configures `contextStorage`: without it Node-RED deletes a node's context
 * whenever the node stops, so nothing kept there survives a redeploy.
 */
export function hasContextStorage(RED: NodeAPI): boolean {
  // contextStorage is a settings.js property the runtime exposes read-only; not in the types.
  return Boolean((RED.settings as unknown as { contextStorage?: unknown }).contextStorage);
}

/**
 * A node's persisted state in the Node-RED context store the user picked (`contextStore`,
 * empty = the default store). The callback forms work with every store, synchronous or not:
 * `memory` survives redeploys only, `localfilesystem` also survives restarts.
 * The key is visible in the editor's Context sidebar.
 */
export class ContextStateStore {
  private readonly store: string | undefined;

  constructor(private readonly node: Pick<Node, 'context'>, store: string, private readonly key: string) {
    this.store = store.trim() === '' ? undefined : store.trim();
  }

  load(): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.node.context().get(this.key, this.store, (err: Error | undefined, value: unknown) => (err ? reject(err) : resolve(value)));
    });
  }

  save(value: unknown): Promise<void> {
    return new Promise((resolve, reject) => {
      this.node.context().set(this.key, value, this.store, (err: Error | undefined) => (err ? reject(err) : resolve()));
    });
  }
}
