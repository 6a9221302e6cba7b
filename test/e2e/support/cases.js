'use strict';
// Per-node expectations for the editor tests: what the contract fixes (palette colour, label,
// icon) and one valid and one invalid value for a field, plus the fields that appear and
// disappear with another setting. Everything else (which properties exist, their inputs, the
// help text) is read from the editor at run time, so the tests follow the HTML as it evolves.
//
// Field ids are the element ids of the dialog (`node-input-<prop>`, or `node-config-input-<prop>`
// for config nodes). Steps: { set: [id, value] } then the selectors that must be visible/hidden.

const NODES = {
  'telemetry-ingest': {
    paletteLabel: 'ingest',
    color: '#7FB7DF',
    example: 'ingest',
    // With a broker the node subscribes (and then needs a topic filter).
    config: { prop: 'broker', type: 'telemetry-mqtt-broker' },
    prepare: [['node-input-topic', 'sensors/+/telemetry']],
    mustFill: ['topic'],
    invalid: { id: 'node-input-maxFuture', value: 'soon' },
    valid: { id: 'node-input-maxFuture', value: '2h', prop: 'maxFuture' },
    // The label names the topic it subscribes to.
    keySetting: { id: 'node-input-topic', value: 'plant-a/#', prop: 'topic', label: /plant-a\/#/ },
    typedInputs: [],
    conditional: [
      { set: ['node-input-format', 'json'], hidden: ['#node-input-senmlUnits'] },
      { set: ['node-input-format', 'senml'], visible: ['#node-input-senmlUnits'] },
      // "none" is the `_ADD_` option once a broker exists (Node-RED's config select).
      { set: ['node-input-broker', '_ADD_'], hidden: ['#node-input-topic', '#node-input-qos'] },
    ],
  },
  'telemetry-window': {
    paletteLabel: 'window',
    color: '#A6BBCF',
    example: 'window',
    invalid: { id: 'node-input-size', value: '5 parsecs' },
    valid: { id: 'node-input-size', value: '5m', prop: 'size' },
    keySetting: { id: 'node-input-size', value: '15m', prop: 'size', label: /15m/ },
    // The aggregate toggles write a hidden comma list.
    widgets: { aggregates: '#telemetry-window-aggregates input[type=checkbox]' },
    typedInputs: [],
    conditional: [
      { set: ['node-input-windowType', 'session'], visible: ['#node-input-gap'], hidden: ['#node-input-size', '#node-input-slide', '#node-input-count'] },
      { set: ['node-input-windowType', 'hopping'], visible: ['#node-input-size', '#node-input-slide'], hidden: ['#node-input-gap', '#node-input-count'] },
      { set: ['node-input-windowType', 'count'], visible: ['#node-input-count'], hidden: ['#node-input-size', '#node-input-slide'] },
      { set: ['node-input-windowType', 'tumbling'], visible: ['#node-input-size'], hidden: ['#node-input-slide', '#node-input-gap', '#node-input-count'] },
    ],
  },
  'telemetry-enrich': {
    paletteLabel: 'enrich',
    color: '#C7E9C0',
    example: 'enrich',
    invalid: { id: 'node-input-reloadInterval', value: 'often' },
    valid: { id: 'node-input-reloadInterval', value: '10s', prop: 'reloadInterval' },
    // Rules live in an editable list, not in one input.
    widgets: { rules: '#node-input-telemetry-enrich-rules' },
    // Without rules there is no setting to show: the label is the node's name until one is added.
    emptyLabelIsName: true,
    // A dialog with one rule of each kind, for the layout check (rows must fit the default width).
    async layoutSetup(page) {
      for (const kind of ['lookup', 'set', 'rename', 'remove', 'convert', 'deadband']) {
        await page.click('#red-ui-editor-stack .red-ui-tray:last-child .red-ui-editableList-addButton');
        await page.locator('#node-input-telemetry-enrich-rules li').last().locator('select.telemetry-enrich-type').selectOption(kind);
      }
    },
    // Its key setting is its rule: one `set` rule added through the list names itself in the label.
    async keySettingCustom(page) {
      await page.click('#red-ui-editor-stack .red-ui-tray:last-child .red-ui-editableList-addButton');
      const row = page.locator('#node-input-telemetry-enrich-rules li').last();
      await row.locator('select.telemetry-enrich-type').selectOption('set');
      await row.locator('input.telemetry-enrich-short:visible').first().fill('site');
      await row.locator('input.telemetry-enrich-short:visible').first().dispatchEvent('change');
      await page.evaluate(() => {
        const input = $('#node-input-telemetry-enrich-rules li').last().find('input.telemetry-enrich-wide[data-check=value]');
        input.typedInput('value', 'plant-a');
      });
      return /site/;
    },
    typedInputs: [],
    // Adding a rule: its type decides which inputs show; a `set` rule takes a typedInput value.
    async conditionalCustom(page, assert) {
      await page.click('#red-ui-editor-stack .red-ui-tray:last-child .red-ui-editableList-addButton');
      const row = page.locator('#node-input-telemetry-enrich-rules li').last();
      await row.locator('select.telemetry-enrich-type').selectOption('set');
      assert.equal(await row.locator('.red-ui-typedInput-container:visible').count(), 1, 'a set rule shows a typedInput value');
      await row.locator('select.telemetry-enrich-type').selectOption('rename');
      assert.equal(await row.locator('.red-ui-typedInput-container:visible').count(), 0, 'a rename rule has no typedInput');
    },
  },
  'telemetry-archive': {
    paletteLabel: 'archive',
    color: '#E6A15A',
    example: 'archive',
    config: { prop: 'server', type: 'telemetry-influxdb' },
    // Fresh from the palette it has no server yet: its name until one is chosen (keySetting).
    emptyLabelIsName: true,
    invalid: { id: 'node-input-batchSize', value: '0' },
    valid: { id: 'node-input-batchSize', value: '1000', prop: 'batchSize' },
    moreInvalid: [
      { id: 'node-input-fieldTypes', value: 'count:decimal', reason: /float, integer, uinteger, string, boolean/, fix: 'count:integer, state:string' },
      { id: 'node-input-fieldTypes', value: 'count:integer,count:float', reason: /one type per field/, fix: 'count:integer' },
    ],
    // The label names the database of the chosen server.
    keySetting: { config: true, label: /e2e/ },
    typedInputs: [],
    conditional: [
      { set: ['node-input-spool', false], hidden: ['#node-input-spoolDir'] },
      { set: ['node-input-spool', true], visible: ['#node-input-spoolDir'] },
    ],
  },
  'telemetry-purge': {
    paletteLabel: 'purge',
    color: '#E9967A',
    example: 'purge',
    config: { prop: 'server', type: 'telemetry-influxdb' },
    // Also needed for a valid node (no default measurement).
    prepare: [['node-input-measurements', 'telemetry']],
    mustFill: ['measurements'],
    invalid: { id: 'node-input-olderThan', value: 'old' },
    valid: { id: 'node-input-olderThan', value: '30d', prop: 'olderThan' },
    keySetting: { id: 'node-input-olderThan', value: '400d', prop: 'olderThan', label: /400d/ },
    typedInputs: ['node-input-where'],
    conditional: [
      { set: ['node-input-mode', 'downsample-delete'], visible: ['#node-input-downsampleTo', '#node-input-downsampleEvery'], hidden: ['#node-input-rpName'] },
      { set: ['node-input-mode', 'retention-policy'], visible: ['#node-input-rpName'], hidden: ['#node-input-measurements', '#node-input-downsampleTo'] },
      { set: ['node-input-mode', 'delete'], visible: ['#node-input-measurements'], hidden: ['#node-input-downsampleTo', '#node-input-rpName'] },
    ],
  },
  'telemetry-heartbeat-watch': {
    paletteLabel: 'heartbeat watch',
    color: '#F3B567',
    example: 'heartbeat-watch',
    invalid: { id: 'node-input-timeout', value: 'never' },
    valid: { id: 'node-input-timeout', value: '10m', prop: 'timeout' },
    keySetting: { id: 'node-input-timeout', value: '90s', prop: 'timeout', label: /90s/ },
    typedInputs: ['node-input-timeouts'],
    conditional: [
      { set: ['node-input-persistState', true], visible: ['#node-input-contextStore'] },
      { set: ['node-input-persistState', false], hidden: ['#node-input-contextStore'] },
    ],
  },
  'telemetry-partition': {
    paletteLabel: 'partition',
    color: '#A6BBCF',
    example: 'partition',
    config: { prop: 'broker', type: 'telemetry-mqtt-broker' },
    mustFill: ['broker'],
    invalid: { id: 'node-input-partitions', value: '0' },
    valid: { id: 'node-input-partitions', value: '64', prop: 'partitions' },
    // The label names the group and the number of partitions.
    keySetting: { id: 'node-input-group', value: 'plant-a', prop: 'group', label: /plant-a/ },
    typedInputs: [],
    conditional: [
      { set: ['node-input-assignment', 'static'], visible: ['#node-input-instance', '#node-input-instances'], hidden: ['#node-input-memberId'] },
      { set: ['node-input-assignment', 'dynamic'], visible: ['#node-input-memberId'], hidden: ['#node-input-instance', '#node-input-instances'] },
      { set: ['node-input-ackMode', 'none'], hidden: ['#node-input-ackTimeout'] },
      { set: ['node-input-ackMode', 'archive'], visible: ['#node-input-ackTimeout'] },
    ],
  },
  'telemetry-alert': {
    paletteLabel: 'alert',
    color: '#F08080',
    example: 'alert',
    invalid: { id: 'node-input-summaryInterval', value: 'often' },
    valid: { id: 'node-input-summaryInterval', value: '1m', prop: 'summaryInterval' },
    // Rules live in an editable list; a fresh node has the user story's rule.
    widgets: { rules: '#node-input-telemetry-alert-rules' },
    // Its key setting is its rule: the label describes the one rule it has.
    async keySettingCustom(page) {
      const row = page.locator('#node-input-telemetry-alert-rules li').first();
      await row.locator('input.telemetry-alert-field').fill('humidity');
      await row.locator('input.telemetry-alert-field').dispatchEvent('change');
      return /humidity above 30 for 5m/;
    },
    typedInputs: [],
    conditional: [
      { set: ['node-input-persistState', true], visible: ['#node-input-contextStore'] },
      { set: ['node-input-persistState', false], hidden: ['#node-input-contextStore'] },
    ],
    // A band rule shows its second value; above/below do not.
    async conditionalCustom(page, assert) {
      const row = page.locator('#node-input-telemetry-alert-rules li').first();
      await row.locator('select.telemetry-alert-op').selectOption('outside');
      assert.equal(await row.locator('input.telemetry-alert-value2:visible').count(), 1, 'outside shows value2');
      await row.locator('select.telemetry-alert-op').selectOption('above');
      assert.equal(await row.locator('input.telemetry-alert-value2:visible').count(), 0, 'above hides value2');
    },
  },
};

// Config nodes: opened from the field of a node that uses them (as a user does).
const CONFIG_NODES = {
  'telemetry-mqtt-broker': {
    // Shown in the Help tree, the help title, "Add new mqtt broker…" and the dialog title.
    paletteLabel: 'mqtt broker',
    color: '#D8BFD8',
    host: { type: 'telemetry-ingest', prop: 'broker' },
    invalid: { id: 'node-config-input-url', value: 'http://broker:1883' },
    valid: { id: 'node-config-input-url', value: 'mqtt://127.0.0.1:1884', prop: 'url' },
    label: /127\.0\.0\.1:1884/,
    conditional: [
      { set: ['node-config-input-url', 'mqtts://127.0.0.1:8883'], visible: ['#node-config-input-tls'] },
      { set: ['node-config-input-url', 'mqtt://127.0.0.1:1883'], hidden: ['#node-config-input-tls'] },
    ],
  },
  'telemetry-influxdb': {
    paletteLabel: 'influxdb',
    color: '#E2D96E',
    host: { type: 'telemetry-archive', prop: 'server' },
    // Made without the dialog (when a node test runs alone): the database the labels expect.
    importExtra: { database: 'e2e' },
    prepare: [['node-config-input-database', 'e2e']],
    invalid: { id: 'node-config-input-url', value: 'influx:8086' },
    valid: { id: 'node-config-input-url', value: 'http://127.0.0.1:8087', prop: 'url' },
    label: /127\.0\.0\.1:8087 \/ e2e/,
    conditional: [
      { set: ['node-config-input-url', 'https://127.0.0.1:8086'], visible: ['#node-config-input-tls'] },
      { set: ['node-config-input-url', 'http://127.0.0.1:8086'], hidden: ['#node-config-input-tls'] },
      // Each InfluxDB version shows its own fields (README "InfluxDB versions").
      {
        set: ['node-config-input-version', '2'],
        visible: ['#node-config-input-org', '#node-config-input-bucket', '#node-config-input-token'],
        hidden: ['#node-config-input-database', '#node-config-input-retentionPolicy', '#node-config-input-username', '#node-config-input-password', '#node-config-input-noSync'],
      },
      {
        set: ['node-config-input-version', '3'],
        visible: ['#node-config-input-database', '#node-config-input-token', '#node-config-input-noSync'],
        hidden: ['#node-config-input-org', '#node-config-input-bucket', '#node-config-input-retentionPolicy', '#node-config-input-username', '#node-config-input-password'],
      },
      {
        set: ['node-config-input-version', '1'],
        visible: ['#node-config-input-database', '#node-config-input-retentionPolicy', '#node-config-input-username', '#node-config-input-password'],
        hidden: ['#node-config-input-org', '#node-config-input-bucket', '#node-config-input-token', '#node-config-input-noSync'],
      },
    ],
    // 2.x: org and bucket are required (red with a reason while empty); the token is a credential.
    async dialogCheck(page, ed, assert, secret) {
      await ed.setField(page, 'node-config-input-version', '2');
      await ed.setField(page, 'node-config-input-org', '');
      const org = await ed.fieldState(page, 'node-config-input-org');
      assert.equal(org.invalid, true, 'an empty organization is red on 2.x');
      assert.match(String(org.reason), /organization/);
      await ed.setField(page, 'node-config-input-org', 'acme');
      await ed.setField(page, 'node-config-input-bucket', 'sensors');
      assert.equal((await ed.fieldState(page, 'node-config-input-org')).invalid, false);
      assert.equal((await ed.fieldState(page, 'node-config-input-bucket')).invalid, false);
      // Hidden on 2.x, so emptied as a script would: it must not make the node invalid.
      await page.evaluate(() => $('#node-config-input-database').val('').trigger('change'));
      assert.equal((await ed.fieldState(page, 'node-config-input-database')).invalid, false, 'the database does not apply to 2.x');
      await ed.setField(page, 'node-config-input-token', secret);
      // Test connection asks the runtime with the dialog's values and words what it found.
      await ed.setField(page, 'node-config-input-url', 'http://127.0.0.1:1');
      await page.click('#node-config-test');
      const result = page.locator('#node-config-test-result .telemetry-probe-line');
      await result.first().waitFor({ state: 'visible', timeout: 10000 });
      assert.match(await result.first().innerText(), /No answer from the server: .*ECONNREFUSED/);
      await ed.setField(page, 'node-config-input-url', 'http://127.0.0.1:8086');
      return { saved: { version: '2', org: 'acme', bucket: 'sensors' }, label: /127\.0\.0\.1:8086 \/ acme\/sensors/ };
    },
  },
};

module.exports = { NODES, CONFIG_NODES };
