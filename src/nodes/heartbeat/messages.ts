import type { NodeMessage } from '../shared/red';
import type { HeartbeatSummary, StateChange } from '../../core/heartbeat/tracker';
import { statusReading } from '../../core/heartbeat/status-reading';
import type { Reading } from '../../core/reading';

export interface ChangePayload {
  device: string;
  status: StateChange['status'];
  lastSeen: number | null;
  silentMs: number;
  /** Timeout in force for the device (ms): shows which per-device override applied. */
  timeout: number;
  /** Down/up pairs held back by flap damping (`flapPeriod`) since the previous change of the device. */
  flaps: number;
}

export interface ChangeMsg extends NodeMessage {
  topic: string;
  payload: ChangePayload;
  /** With `emitReading`: `device_status,device=<id> up=1|0`, ready for the archive node. */
  reading?: Reading;
}

/** Output 1 (README "How each node behaves"): one msg per state change. */
export function changeMsg(change: StateChange, emitReading: boolean): ChangeMsg {
  const msg: ChangeMsg = {
    topic: `heartbeat/${change.device}`,
    payload: {
      device: change.device,
      status: change.status,
      lastSeen: change.lastSeen,
      silentMs: change.silentMs,
      timeout: change.timeoutMs,
      flaps: change.flaps,
    },
  };
  if (emitReading) {
    const reading = statusReading(change);
    if (reading) msg.reading = reading;
  }
  return msg;
}

/** Output 2: `{ total, up, down, downDevices }`. */
export function summaryMsg(summary: HeartbeatSummary): NodeMessage {
  return { topic: 'heartbeat/summary', payload: summary };
}
