import type { NodeAPI } from './red';

/** Translates a key of one node's catalogue (`nodes/locales/<lang>/<type>.json`). */
export type Translate = (key: string, params?: Record<string, string | number>) => string;

/** The runtime's RED._ bound to `<type>.`: `translator(RED, 'telemetry-window')('status.running')`. */
export function translator(RED: NodeAPI, type: string): Translate {
  // RED._ takes i18next's options object; our params are plain text and numbers.
  return (key, params) => RED._(`${type}.${key}`, params as Record<string, string> | undefined);
}
