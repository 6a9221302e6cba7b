/**
 * The Node-RED plugin `telemetry-monitor` (package.json "node-red".plugins; the editor half is
 * plugins/telemetry-monitor.html, the sidebar tab). A plugin, not a node: the sidebar belongs to
 * no node type and must exist once per editor, whether or not a flow uses our nodes yet.
 *
 * Runtime half: wires the MonitorPublisher to the comms channel. Sessions ask with a comms
 * message on WATCH_TOPIC (data `{ watch: true|false }`); updates go to those sessions only
 * (Node-RED's `comms` event with a `session`, as its own multiplayer feature does).
 */
import { clockOf } from './clock';
import { monitoredNode, monitoredNodes } from './monitor';
import { MONITOR_TOPIC, MonitorPublisher, WATCH_TOPIC } from './monitor-publisher';
import type { NodeAPI, NodeStatus } from './red';

export const PLUGIN_ID = 'telemetry-monitor';

interface CommsMessage {
  session?: unknown;
  user?: { permissions?: unknown };
  data?: { watch?: unknown };
}

/** The one publisher of this process (a second registration, e.g. a test re-loading, replaces it). */
let current: MonitorPublisher | undefined;
let detach: (() => void) | undefined;

export default function register(RED: NodeAPI): void {
  // Node-RED's typings lack the plugin API and the runtime event names used below.
  const red = RED as unknown as NodeAPI & {
    plugins?: { registerPlugin(id: string, definition: object): void };
    events: { on(event: string, fn: (arg: never) => void): void; removeListener(event: string, fn: (arg: never) => void): void; emit(event: string, arg: object): void };
  };
  red.plugins?.registerPlugin(PLUGIN_ID, { type: PLUGIN_ID });
  detach?.();
  const publisher = new MonitorPublisher({
    clock: clockOf(RED),
    nodes: monitoredNodes,
    send: (session, update) => red.events.emit('comms', { topic: MONITOR_TOPIC, data: update, session }),
  });
  current = publisher;
  const onWatch = (msg: CommsMessage): void => {
    publisher.watch(msg.session, msg.user, msg.data?.watch === true);
  };
  const onGone = (msg: { session?: unknown }): void => publisher.drop(msg.session);
  const onStatus = (event: { id?: unknown; status?: NodeStatus }): void => {
    if (typeof event.id === 'string' && monitoredNode(event.id)) publisher.status(event.id, event.status);
  };
  red.events.on(`comms:message:${WATCH_TOPIC}`, onWatch);
  red.events.on('comms:connection-removed', onGone);
  red.events.on('node-status', onStatus);
  detach = () => {
    publisher.stop();
    red.events.removeListener(`comms:message:${WATCH_TOPIC}`, onWatch);
    red.events.removeListener('comms:connection-removed', onGone);
    red.events.removeListener('node-status', onStatus);
  };
}

/** The publisher of this process, for tests. */
export function monitorPublisher(): MonitorPublisher | undefined {
  return current;
}
