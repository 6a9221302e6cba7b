'use strict';
// The ingest status line, with the real en-US catalogue and a fake clock.
const assert = require('assert');
const { IngestStatus } = require('../../dist/nodes/ingest/status');
const { FakeClock } = require('../support/fake-clock');
const catalogue = require('../../nodes/locales/en-US/telemetry-ingest.json')['telemetry-ingest'];

/** Node-RED's i18n in miniature: dotted key into the catalogue, __name__ placeholders. */
function t(key, params = {}) {
  const template = key.split('.').reduce((obj, part) => (obj ? obj[part] : undefined), catalogue);
  assert.strictEqual(typeof template, 'string', `missing catalogue key ${key}`);
  return template.replace(/__(\w+)__/g, (_, name) => String(params[name]));
}

function setup() {
  const shown = [];
  const clock = new FakeClock();
  const status = new IngestStatus({ status: (s) => shown.push(s) }, t, clock);
  return { status, shown, clock };
}

describe('telemetry-ingest status line', function () {
  afterEach(function () {
    this.status?.close();
  });

  it('connected · 4.9k rd/s · 3 rejected', async function () {
    const { status, shown, clock } = setup();
    this.status = status;
    status.setConnection('connected');
    for (let i = 0; i < 49; i++) status.count(100, 0);
    status.count(0, 3);
    await clock.advance(1_000);
    status.setConnection('connected'); // a forced render, as a state change does
    assert.deepStrictEqual(shown.at(-1), { fill: 'green', shape: 'dot', text: 'connected · 4.9k rd/s · 3 rejected' });
  });

  it('refreshes once a second after start, and not before', async function () {
    const { status, shown, clock } = setup();
    this.status = status;
    status.start();
    assert.strictEqual(shown.at(-1).text, '0 rd/s');
    status.count(0, 2); // the start-up render was just now: this waits for the refresh
    await clock.advance(999);
    assert.strictEqual(shown.at(-1).text, '0 rd/s');
    await clock.advance(1);
    assert.strictEqual(shown.at(-1).text, '0 rd/s · 2 rejected');
    status.close();
    status.count(0, 1);
    await clock.advance(5_000);
    assert.strictEqual(shown.at(-1).text, '0 rd/s · 2 rejected', 'no refresh after close');
    assert.strictEqual(clock.pending, 0);
  });

  const states = [
    ['connecting', undefined, { fill: 'yellow', shape: 'ring', text: 'connecting · 0 rd/s' }],
    ['disconnected', 'connection refused', { fill: 'red', shape: 'ring', text: 'disconnected: connection refused · 0 rd/s' }],
    ['error', 'bad user name or password', { fill: 'red', shape: 'ring', text: 'error: bad user name or password · 0 rd/s' }],
  ];
  for (const [state, detail, expected] of states) {
    it(`${state}${detail ? ` (${detail})` : ''}`, function () {
      const { status, shown } = setup();
      this.status = status;
      status.setConnection(state, detail);
      assert.deepStrictEqual(shown.at(-1), expected);
    });
  }

  it('reset sets the rejected count back to 0', function () {
    const { status, shown } = setup();
    this.status = status;
    status.setConnection('connected');
    status.count(0, 5);
    status.reset();
    assert.strictEqual(shown.at(-1).text, 'connected · 0 rd/s');
  });

  it('the rejected count is exact (no k/M rounding)', function () {
    const { status, shown } = setup();
    this.status = status;
    status.count(0, 12_345);
    status.setConnection('connected');
    assert.strictEqual(shown.at(-1).text, 'connected · 0 rd/s · 12,345 rejected');
  });

  it('the catalogue has what startNode shows for a config that cannot start', function () {
    assert.strictEqual(t('status.config-error'), 'invalid configuration');
    assert.strictEqual(t('errors.config', { reasons: 'a; b' }), 'invalid configuration: a; b');
    assert.match(t('errors.start', { reason: 'boom' }), /boom/);
  });
});
