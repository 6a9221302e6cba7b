/**
 * Fan-out without copies between our own nodes (issue #16; README "Guarantees").
 *
 * Node-RED deep-clones a msg (RED.util.cloneMessage, lodash cloneDeep) for every wire after the
 * first, so that no node can see another's changes. The full pipeline wires enrich to both the
 * archive and a window: each 1,000-reading batch was copied once more (1.4 µs per reading for
 * the copy, 2.2 µs with its garbage: 7.4 → 5.2 µs of CPU per reading for enrich → [archive, window]).
 *
 * The contract that makes the copy unnecessary: **our nodes treat the msg they receive and its
 * readings as immutable.** They read them and build new msgs (enrich copies each reading before
 * its rules run; ingest and enrich put their results in a new msg object); they never write to
 * an input msg, never write to a reading, and keep no reading object (the archive encodes it to
 * line protocol at once, the window keeps numbers and copied tags).
 *
 * One `onSend` hook per runtime (added while at least one of our nodes exists, like the
 * ack-after-archive tracker in ./durability.ts) applies it per `node.send`:
 * - a msg object our node sends on several wires is delivered uncloned to all of them only when
 *   EVERY destination of that object in that send is one of SHARING_TYPES. One other node on
 *   any of those wires (a function, a debug, a link, a subflow) and Node-RED clones as always:
 *   **a user node in a fan-out restores Node-RED's normal cloning.**
 * - what our nodes send to any other node is cloned whenever it may hold objects another of our
 *   nodes also received: a msg object that was shared (a control msg passed through) and every
 *   refusal (`msg.error`; it carries the refused input readings). So a user node downstream can
 *   never change what a sibling of ours is still to read (a window restoring its state, an
 *   enrich waiting for its tables reads its input later).
 * - msgs from any other node are never touched.
 * telemetry-purge is not in SHARING_TYPES: on a failed run it completes its input msg with the
 * report (done(err) hands that msg to Catch nodes), so it gets its own copy as before.
 * Without `RED.hooks` (node-red-node-test-helper) nothing is added and Node-RED clones as usual.
 * A node type joins SHARING_TYPES only if it keeps this contract (test/nodes/fan-out.test.js).
 */
import type { NodeAPI } from './red';

/** Node types that never change their input msg or its readings (see above). */
export const SHARING_TYPES: ReadonlySet<string> = new Set([
  'telemetry-ingest',
  'telemetry-enrich',
  'telemetry-window',
  'telemetry-archive',
  'telemetry-heartbeat-watch',
]);

/** Our node types whose msgs the hook looks at. */
const SOURCE_TYPES: ReadonlySet<string> = new Set([...SHARING_TYPES, 'telemetry-purge']);

const HOOK_LABEL = 'onSend.telemetryFanOut';

interface NodeLike {
  type?: string;
  _flow?: { getNode?(id: string): NodeLike | undefined };
}

/** The part of Node-RED's SendEvent the hook reads and writes (Node.prototype.send). */
export interface SendEvent {
  msg: object;
  source?: { node?: NodeLike };
  destination?: { id?: string };
  cloneMessage?: boolean;
}

interface FanOutHooks {
  add(label: string, fn: (events: SendEvent[]) => void): void;
  remove(label: string): void;
}

export class FanOutSharing {
  private users = 0;
  /** Msg objects delivered uncloned to more than one node. */
  private readonly shared = new WeakSet<object>();

  constructor(
    private readonly hooks: FanOutHooks,
    private readonly lookup: (id: string) => NodeLike | undefined,
  ) {}

  /** Adds the hook for the first user; the returned function releases (the last removes it). */
  use(): () => void {
    if (this.users++ === 0) this.hooks.add(HOOK_LABEL, (events) => this.onSend(events));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.users === 0) this.hooks.remove(HOOK_LABEL);
    };
  }

  /** What the hook does with the SendEvents of one `node.send` (exported for tests). */
  onSend(events: SendEvent[]): void {
    const source = events[0]?.source?.node;
    if (!source || !SOURCE_TYPES.has(source.type ?? '')) return;
    try {
      if (events.length === 1) {
        // One wire (most sends): nothing to share; only copy what must not reach a user node as is.
        const [event] = events as [SendEvent];
        if ((this.shared.has(event.msg) || isRefusal(event.msg)) && !this.isSharingType(source, event.destination?.id)) event.cloneMessage = true;
        return;
      }
      const ours = events.map((event) => this.isSharingType(source, event.destination?.id));
      // Per msg object: does every wire it takes in this send lead to one of ours?
      const allOurs = new Map<object, boolean>();
      events.forEach((event, i) => allOurs.set(event.msg, (allOurs.get(event.msg) ?? true) && (ours[i] as boolean)));
      events.forEach((event, i) => {
        if (!ours[i]) {
          if (this.shared.has(event.msg) || isRefusal(event.msg)) event.cloneMessage = true;
        } else if (event.cloneMessage === true && allOurs.get(event.msg) === true) {
          // A later wire of a msg object whose every wire leads to ours (the first is never cloned).
          event.cloneMessage = false;
          this.shared.add(event.msg);
        }
      });
    } catch {
      // Never break a send: a failure here leaves Node-RED's own cloning in place.
    }
  }

  private isSharingType(source: NodeLike, id: string | undefined): boolean {
    if (id === undefined) return false;
    const node = source._flow?.getNode?.(id) ?? this.lookup(id);
    return node !== undefined && node !== null && SHARING_TYPES.has(node.type ?? '');
  }
}

const instances = new WeakMap<object, FanOutSharing>();

/**
 * Shares fan-out msgs between our nodes while `node` exists (one line in each node's index.ts).
 * No-op on a runtime without `RED.hooks`.
 */
export function shareFanOut(RED: NodeAPI, node: { on(event: 'close', fn: () => void): unknown }): void {
  // RED.hooks is part of the runtime API for nodes since Node-RED 1.3; not in @types/node-red 1.3.
  const hooks = (RED as unknown as { hooks?: FanOutHooks }).hooks;
  if (!hooks) return;
  let sharing = instances.get(hooks);
  if (!sharing) {
    sharing = new FanOutSharing(hooks, (id) => RED.nodes.getNode(id) as NodeLike | undefined);
    instances.set(hooks, sharing);
  }
  node.on('close', sharing.use());
}

function isRefusal(msg: object): boolean {
  const error = (msg as { error?: unknown }).error;
  return typeof error === 'object' && error !== null;
}
