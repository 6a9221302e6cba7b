/**
 * Event-loop turns. Node-RED hands a sent msg to the next node on a setImmediate, so waiting
 * turns lets msgs already sent arrive (a closing node, a released partition), and a promise
 * that settles after one turn settles after the next node has handled a msg sent before it.
 */

/** Resolves on the next setImmediate (plain, no async wrapper: used once per msg on hot paths). */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Resolves after `n` turns. */
export async function eventLoopTurns(n: number): Promise<void> {
  for (let turn = 0; turn < n; turn++) await nextTurn();
}
