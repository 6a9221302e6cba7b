/**
 * The slice of Node-RED's types the nodes use. Type-only imports: at run time every node uses
 * the RED object the runtime hands it, never a `require('node-red')`.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow, NodeStatus } from 'node-red';

export type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow, NodeStatus };

/** The `send` handed to an input handler: one msg, or one slot per output. */
export type Send = (msg: NodeMessage | Array<NodeMessage | NodeMessage[] | null>) => void;
export type Done = (err?: Error) => void;

/** A msg as our nodes see it: anything goes beyond the well-known properties. */
export interface TelemetryMsg extends NodeMessageInFlow {
  payload?: unknown;
  topic?: string;
  control?: unknown;
  error?: { code: string; message: string };
  [key: string]: unknown;
}
