'use strict';
/**
 * The demo's flow: the full-pipeline example, pointed at the demo's broker and InfluxDB, with
 * the enrich table read from `sites.csv` in the user dir (edit it while the demo runs) and
 * window/heartbeat/alert state persisted in the demo's file-backed context store.
 */
const path = require('path');

const EXAMPLE = path.join(__dirname, '..', '..', 'examples', 'full-pipeline.json');

/** Points config nodes at the demo's servers (also in a flow the user has edited since). */
function pointAtServers(flow, { mqttUrl, influxUrl }) {
  for (const node of flow) {
    if (node.type === 'telemetry-mqtt-broker') node.url = mqttUrl;
    if (node.type === 'telemetry-influxdb') node.url = influxUrl;
  }
  return flow;
}

/**
 * @param {object} o
 * @param {string} o.mqttUrl
 * @param {string} o.influxUrl
 * @param {boolean} [o.fast] short timeouts for the demo test
 * @param {object[]} [o.existing] the flow from a previous run: kept as the user left it
 */
function demoFlow({ mqttUrl, influxUrl, fast = false, existing }) {
  if (existing && existing.length > 0) return pointAtServers(existing, { mqttUrl, influxUrl });
  const flow = JSON.parse(require('fs').readFileSync(EXAMPLE, 'utf8'));
  for (const node of flow) {
    if (node.type === 'telemetry-enrich') {
      node.rules = node.rules.map((rule) =>
        rule.type === 'lookup' ? { type: 'lookup', key: rule.key, as: rule.as, file: 'sites.csv' } : rule,
      );
    }
    if (['telemetry-window', 'telemetry-heartbeat-watch', 'telemetry-alert'].includes(node.type)) node.persistState = true;
    if (fast && node.type === 'telemetry-heartbeat-watch') {
      node.timeout = '4s';
      node.summaryInterval = '10s';
    }
    if (fast && node.type === 'telemetry-window') node.size = '5s';
    // 5 s windows: dev-hot's mean must stay above 30 °C for 10 s (three windows) to alert.
    if (fast && node.type === 'telemetry-alert') {
      node.rules = node.rules.map((rule) => ({ ...rule, for: '10s' }));
      node.summaryInterval = '10s';
    }
  }
  return pointAtServers(flow, { mqttUrl, influxUrl });
}

module.exports = { demoFlow, pointAtServers };
