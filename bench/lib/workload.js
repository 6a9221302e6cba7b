'use strict';
// The benchmark workload, shared by the publisher, the raw pipeline and the flow builders so
// every scenario sees exactly the same messages:
// - 1,000 devices over 10 sites, topic `bench/<site>/<device>/telemetry`, message i goes to
//   device i % 1000 (round robin, so one device's messages are 1,000 apart);
// - a ~115-byte JSON payload: `ts` (publish time, epoch ms) + 6 numeric fields;
// - readings land in measurement `telemetry`; `temperature` is the field that is counted.
// Warm-up messages carry only a `warmup` field, so `COUNT(temperature)` never includes them.

const DEVICES = 1000;
const SITES = 10;
const MEASUREMENT = 'telemetry';
const COUNT_FIELD = 'temperature';
const TOPIC_FILTER = 'bench/+/+/telemetry';
const TOPIC_TEMPLATE = 'bench/{site}/{device}/telemetry';
const WARMUP_TOPIC = 'bench/site-warmup/dev-warmup/telemetry';

const siteOf = (device) => `site-${device % SITES}`;
const deviceName = (device) => `dev-${String(device).padStart(4, '0')}`;

const TOPICS = Array.from({ length: DEVICES }, (_, d) => `bench/${siteOf(d)}/${deviceName(d)}/telemetry`);

/** Topic of the i-th message. */
function topicFor(i) {
  return TOPICS[i % DEVICES];
}

/**
 * Payload of the i-th message with event time `ts`. Values vary with i but keep their width, so
 * every payload is 110–115 bytes (the reference figures used a 116-byte JSON).
 */
function payloadFor(i, ts) {
  const temperature = (15 + ((i * 7) % 200) / 10).toFixed(2);
  const humidity = (30 + ((i * 13) % 400) / 10).toFixed(2);
  const pressure = (1000 + ((i * 3) % 300) / 10).toFixed(2);
  const battery = (3 + ((i * 11) % 1000) / 1000).toFixed(3);
  const rssi = -40 - ((i * 17) % 60);
  return `{"ts":${ts},"temperature":${temperature},"humidity":${humidity},"pressure":${pressure},"battery":${battery},"rssi":${rssi},"seq":${i % 100000}}`;
}

function warmupPayload(ts) {
  return `{"ts":${ts},"warmup":1}`;
}

/** Device lookup table for the enrich scenario: one row per device. */
function deviceTable() {
  const table = {};
  for (let d = 0; d < DEVICES; d++) {
    table[deviceName(d)] = { floor: String(d % 7), zone: `zone-${d % 13}` };
  }
  table['dev-warmup'] = { floor: '0', zone: 'warmup' };
  return table;
}

module.exports = {
  DEVICES,
  SITES,
  MEASUREMENT,
  COUNT_FIELD,
  TOPIC_FILTER,
  TOPIC_TEMPLATE,
  WARMUP_TOPIC,
  topicFor,
  payloadFor,
  warmupPayload,
  deviceTable,
  deviceName,
};
