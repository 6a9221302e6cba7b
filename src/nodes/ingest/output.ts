/**
 * The msgs the ingest node sends: accepted readings on output 1, the refused part on output 2
 * (`msg.error = { code, message }`, the raw payload kept, every refusal listed).
 */
import type { Reading } from '../../core/reading';
import type { Rejection } from '../../core/ingest/types';
import { rejectedMsg } from '../shared/messages';
import type { TelemetryMsg } from '../shared/red';

/** Refusals listed in `msg.rejections`; a payload of 100,000 bad lines should not make a 100,000-entry msg. */
export const MAX_LISTED_REJECTIONS = 100;

export function describeRejection(r: Rejection): string {
  return r.index === undefined ? r.message : `item ${r.index}: ${r.message}`;
}

/**
 * Output-2 msg for the refused part of `msg`. `error.code` is the first refusal's code; the
 * message says how many parts were refused. `msg.rejections` lists them (the first 100).
 */
export function rejectionMsg(msg: TelemetryMsg, rejections: readonly Rejection[], accepted: number): TelemetryMsg {
  const first = rejections[0] as Rejection;
  const summary =
    rejections.length === 1 && accepted === 0
      ? describeRejection(first)
      : `${rejections.length} ${rejections.length === 1 ? 'part' : 'parts'} refused (${accepted} ${accepted === 1 ? 'reading' : 'readings'} accepted); first: ${describeRejection(first)}`;
  const out = rejectedMsg(msg, first.code, summary);
  out.rejections = rejections.slice(0, MAX_LISTED_REJECTIONS).map((r) => ({ ...r }));
  if (rejections.length > MAX_LISTED_REJECTIONS) out.rejectionsNotListed = rejections.length - MAX_LISTED_REJECTIONS;
  return out;
}

/**
 * Output-1 msg of an unbatched input: a copy of the input msg (same _msgid), its payload the
 * readings. The input is not changed: other nodes may share it (src/nodes/shared/fan-out.ts).
 */
export function acceptedMsg(msg: TelemetryMsg, readings: Reading[], multiple: boolean): TelemetryMsg {
  return { ...msg, payload: multiple ? readings : readings[0] };
}
