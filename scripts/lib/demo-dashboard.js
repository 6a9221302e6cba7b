'use strict';
/**
 * The demo's dashboard: examples/dashboard.json (FlowFuse Dashboard 2.0 at /dashboard) added as
 * its own tab beside the pipeline, pointed at the demo's broker and InfluxDB. A flow kept from
 * an earlier run gets the tab added when it lacks it (a user who deleted it gets it back: the
 * banner promises the address).
 */
const fs = require('fs');
const path = require('path');
const { pointAtServers } = require('./demo-flow');

const EXAMPLE = path.join(__dirname, '..', '..', 'examples', 'dashboard.json');
/** The path ui-base serves the dashboard at, and the page the example defines. */
const DASHBOARD_PATH = '/dashboard/pipeline';

function withDashboard(flows, { mqttUrl, influxUrl }) {
  const dashboard = JSON.parse(fs.readFileSync(EXAMPLE, 'utf8'));
  const ids = new Set(flows.map((n) => n.id));
  const missing = dashboard.filter((n) => !ids.has(n.id));
  return pointAtServers([...flows, ...missing], { mqttUrl, influxUrl });
}

module.exports = { withDashboard, DASHBOARD_PATH };
