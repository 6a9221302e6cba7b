/**
 * The ingest dialog's parse preview (README "Seeing your pipeline"):
 * POST /telemetry-ingest/:id/preview with the dialog's current, undeployed values
 * `{ config: {format, topicTemplate, measurement, tagKeys, timestampKey, …}, topic, payload }`,
 * or `{ config, useLast: true }` for the last message the deployed node :id received.
 * Answers what the node would do: the readings (fields with their types) and each refusal
 * with its reason, from the same core `ingest()` the node runs — nothing is sent anywhere.
 *
 * Permission: `telemetry-ingest.write` or `flows.write` (who may edit the node may preview it).
 * Limits: payload ≤ MAX_PAYLOAD_CHARS, topic ≤ MAX_TOPIC_CHARS (413 beyond); the answer lists at
 * most MAX_LISTED readings and refusals (the rest counted).
 */
import type { Request, RequestHandler, Response } from 'express';
import { type RawIngestConfig, parseIngestConfig } from '../../core/ingest/config';
import { ingest } from '../../core/ingest/ingest';
import type { Rejection } from '../../core/ingest/types';
import type { Reading } from '../../core/reading';
import type { Clock } from '../shared/clock';
import { monitoredNode } from '../shared/monitor';
import { hasPermission } from '../shared/monitor-permissions';
import type { NodeAPI } from '../shared/red';

export const MAX_PAYLOAD_CHARS = 65_536;
export const MAX_TOPIC_CHARS = 1_024;
export const MAX_LISTED = 100;

interface PreviewRequest {
  config?: RawIngestConfig;
  topic?: unknown;
  payload?: unknown;
  useLast?: unknown;
}

export interface PreviewField {
  name: string;
  value: number | boolean | string;
  type: 'number' | 'boolean' | 'string';
}

export interface PreviewReading {
  measurement: string;
  tags: Record<string, string>;
  fields: PreviewField[];
  timestamp: number;
}

export type PreviewAnswer =
  | { ok: false; problems: Array<{ key: string; params?: Record<string, unknown> }> }
  | {
      ok: true;
      format: string | undefined;
      readings: PreviewReading[];
      rejections: Array<Pick<Rejection, 'code' | 'message' | 'index' | 'field'>>;
      more: { readings: number; rejections: number };
      /** With useLast: what the node received, for the dialog's fields. */
      input?: { topic: string; payload: string };
    };

export function registerPreviewEndpoint(RED: NodeAPI, clock: Clock): void {
  RED.httpAdmin.post('/telemetry-ingest/:id/preview', RED.auth.needsPermission(''), mayEdit, (req: Request, res: Response) => {
    const body = (req.body ?? {}) as PreviewRequest;
    let topic: string | undefined;
    let payload: unknown;
    let input: { topic: string; payload: string } | undefined;
    if (body.useLast === true) {
      const last = monitoredNode(String(req.params.id))?.source.lastInput?.();
      if (!last) {
        res.status(404).json({ ok: false, problems: [{ key: 'previewNoLast' }] });
        return;
      }
      const text = asText(last.payload);
      if (text === undefined || text.length > MAX_PAYLOAD_CHARS || (last.topic ?? '').length > MAX_TOPIC_CHARS) {
        res.status(413).json({ ok: false, problems: [{ key: 'previewLastTooLarge', params: { max: MAX_PAYLOAD_CHARS } }] });
        return;
      }
      topic = last.topic;
      payload = last.payload;
      input = { topic: last.topic ?? '', payload: text };
    } else {
      if (typeof body.payload !== 'string' || (body.topic !== undefined && typeof body.topic !== 'string')) {
        res.status(400).json({ ok: false, problems: [{ key: 'previewBadRequest' }] });
        return;
      }
      if (body.payload.length > MAX_PAYLOAD_CHARS || (body.topic ?? '').length > MAX_TOPIC_CHARS) {
        res.status(413).json({ ok: false, problems: [{ key: 'previewTooLarge', params: { max: MAX_PAYLOAD_CHARS, topicMax: MAX_TOPIC_CHARS } }] });
        return;
      }
      topic = body.topic === '' ? undefined : body.topic;
      payload = body.payload;
    }
    res.json(preview(body.config ?? {}, topic, payload, clock.now(), input));
  });
}

/** The answer for one payload under the dialog's config (exported for tests). */
export function preview(raw: RawIngestConfig, topic: string | undefined, payload: unknown, now: number, input?: { topic: string; payload: string }): PreviewAnswer {
  // Only how the payload is read matters here: no broker, no batching, no acknowledgement.
  const parsed = parseIngestConfig({ ...raw, broker: '', topic: '', batchSize: '', batchInterval: '', ackMode: 'none' });
  if (!parsed.ok) return { ok: false, problems: parsed.problems };
  // Sparkplug is read with each edge node's session (its BIRTH's aliases and seq): one payload
  // alone cannot be previewed. Said plainly, not as the core's UNKNOWN_FORMAT refusal.
  if (parsed.settings.options.format === 'sparkplug') return { ok: false, problems: [{ key: 'previewSparkplug' }] };
  const result = ingest({ payload, topic, now }, parsed.settings.options);
  return {
    ok: true,
    format: result.format,
    readings: result.readings.slice(0, MAX_LISTED).map(describe),
    rejections: result.rejections.slice(0, MAX_LISTED).map(({ code, message, index, field }) => ({ code, message, index, field })),
    more: { readings: Math.max(0, result.readings.length - MAX_LISTED), rejections: Math.max(0, result.rejections.length - MAX_LISTED) },
    ...(input ? { input } : {}),
  };
}

function describe(reading: Reading): PreviewReading {
  const fields = Object.entries(reading.fields).map(([name, value]) => ({ name, value, type: typeof value as PreviewField['type'] }));
  return { measurement: reading.measurement, tags: reading.tags, fields, timestamp: reading.timestamp };
}

/** `telemetry-ingest.write` or `flows.write`; no user (adminAuth off) may do everything. */
const mayEdit: RequestHandler = (req, res, next) => {
  const scope = (req as Request & { authInfo?: { scope?: unknown } }).authInfo?.scope;
  if (!req.user || hasPermission(scope, 'telemetry-ingest.write') || hasPermission(scope, 'flows.write')) {
    next();
    return;
  }
  res.status(401).end();
};

function asText(payload: unknown): string | undefined {
  if (typeof payload === 'string') return payload;
  if (Buffer.isBuffer(payload)) return payload.length > MAX_PAYLOAD_CHARS * 4 ? undefined : payload.toString('utf8');
  try {
    return JSON.stringify(payload);
  } catch {
    return undefined;
  }
}
