import type { AlertEvent, AlertSummary } from '../../core/alert/engine';
import type { Reading } from '../../core/reading';
import type { NodeMessage } from '../shared/red';

export const ALERT_MEASUREMENT = 'alert_status';

export interface AlertMsg extends NodeMessage {
  topic: string;
  payload: { key: string; field: string; status: 'alert' | 'ok'; value: number; since: number; rule: number; severity: string };
  /** With `emitReading`: `alert_status,<groupBy tags>,field=<field> alerting=1|0,value=<v>`. */
  reading?: Reading;
}

/** Output 1: one msg per state change. */
export function alertMsg(event: AlertEvent, emitReading: boolean): AlertMsg {
  const { key, field, status, value, since, rule, severity } = event;
  const msg: AlertMsg = { topic: `alert/${key}/${field}`, payload: { key, field, status, value, since, rule, severity } };
  if (emitReading) {
    msg.reading = {
      measurement: ALERT_MEASUREMENT,
      tags: { ...event.tags, field },
      // Numbers always (written as floats): the field never flips type.
      fields: { alerting: status === 'alert' ? 1 : 0, value },
      timestamp: Math.floor(event.at),
    };
  }
  return msg;
}

/** Output 2: `{ total, alerting }`. */
export function summaryMsg(summary: AlertSummary): NodeMessage {
  return { topic: 'alert/summary', payload: summary };
}
