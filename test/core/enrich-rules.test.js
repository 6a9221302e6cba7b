'use strict';
const assert = require('assert');
const { compileRules, RuleConfigError } = require('../../dist/core/enrich/rules');
const { translate } = require('../support/i18n').catalogTranslator('telemetry-enrich');
const { Enricher } = require('../../dist/core/enrich/engine');
const { tableFromData } = require('../../dist/core/enrich/table');

// A stand-in for JSONata: named "expressions" evaluated asynchronously, as Node-RED's are.
const EXPRESSIONS = {
  hot: (r) => (r.fields.temperature > 30 ? 'hot' : undefined),
  topic: (r, msg) => `${msg.topic}/${r.tags.device}`,
  zone: (r) => `zone-${r.tags.site}`,
  object: () => ({ a: 1 }),
  array: () => [1, 2],
  nan: () => NaN,
  number: () => 42,
  fails: () => {
    throw { message: 'The right side of the "+" operator must evaluate to a number', position: 12 };
  },
};

function makeDeps(overrides = {}) {
  const calls = { msgValue: 0, openFile: [] };
  const context = { flow: { site: 'plant-flow' }, global: { region: 'eu' } };
  const deps = {
    onMissing: 'pass',
    env: (name) => ({ SITE: 'plant-env' })[name] ?? '',
    msgValue: (type, path) => {
      if (path === 'bad[') throw new Error('invalid property expression');
      return (msg) => {
        calls.msgValue++;
        if (path === 'explodes') throw new Error('store offline');
        if (path === 'later') return Promise.resolve('async-value');
        return type === 'msg' ? msg[path] : context[type][path];
      };
    },
    jsonata: (expression) => {
      const fn = EXPRESSIONS[expression];
      if (!fn) throw { message: 'Syntax error: "}"', position: 3 };
      return (reading, msg) => Promise.resolve().then(() => fn(reading, msg));
    },
    openFile: (file, format, options) => {
      calls.openFile.push({ file, format, options });
      return { current: () => undefined, error: 'no such file' };
    },
    ...overrides,
  };
  return { deps, calls };
}

function enricher(rules, overrides) {
  const { deps, calls } = makeDeps(overrides);
  return { enrich: new Enricher(compileRules(rules, deps)), calls };
}

function reading(tags = { device: 'dev-1' }, fields = { temperature: 21.5 }) {
  return { measurement: 'telemetry', tags, fields, timestamp: 1_700_000_000_000 };
}

async function one(rules, input = reading(), msg = {}, overrides) {
  const { enrich } = enricher(rules, overrides);
  return enrich.apply(input, msg);
}

const SITES = { 'dev-1': { site: 'plant-a', floor: 2 }, 'dev-2': { site: 'plant-b' } };

describe('core/enrich/rules', function () {
  describe('compiling', function () {
    const invalid = [
      ['rules that are not an array', { type: 'set' }, /rules must be an array/],
      ['a rule that is not an object', ['x'], /rule 1 must be an object/],
      ['an unknown type', [{ type: 'upsert' }], /rule 1: type must be lookup, set, rename, remove, convert or deadband/],
      ['a lookup without key', [{ type: 'lookup', table: SITES }], /rule 1: key: a name is required/],
      ['a lookup without table or file', [{ type: 'lookup', key: 'device' }], /a lookup needs a table or a file/],
      ['a lookup with a bad target', [{ type: 'lookup', key: 'device', table: SITES, as: 'meta' }], /target must be "tags" or "fields"/],
      ['a lookup with a bad onMissing', [{ type: 'lookup', key: 'device', table: SITES, onMissing: 'ignore' }], /onMissing must be one of pass, drop, output2/],
      ['a lookup file of unknown format', [{ type: 'lookup', key: 'device', file: 'sites.xlsx' }], /must end in \.csv or \.json/],
      ['an inline table that is not JSON', [{ type: 'lookup', key: 'device', table: '{"a":' }], /table is not valid JSON/],
      ['an inline table with nested values', [{ type: 'lookup', key: 'device', table: { d: { x: { y: 1 } } } }], /an object cannot be a tag value/],
      ['a set without name', [{ type: 'set', target: 'tags', value: 'x' }], /rule 1: name: a name is required/],
      ['a set named "time"', [{ type: 'set', target: 'fields', name: 'time', value: 'x' }], /"time" is reserved/],
      ['a set with an unknown valueType', [{ type: 'set', target: 'tags', name: 'a', value: 'x', valueType: 'date' }], /valueType must be one of/],
      ['a set num that is empty', [{ type: 'set', target: 'fields', name: 'a', value: '', valueType: 'num' }], /value is empty/],
      ['a set num that is not a number', [{ type: 'set', target: 'fields', name: 'a', value: 'abc', valueType: 'num' }], /value must be a number/],
      ['a set bool that is not a boolean', [{ type: 'set', target: 'fields', name: 'a', value: 'yes', valueType: 'bool' }], /true or false/],
      ['a set json that does not parse', [{ type: 'set', target: 'fields', name: 'a', value: '{', valueType: 'json' }], /not valid JSON/],
      ['a set json object', [{ type: 'set', target: 'fields', name: 'a', value: '{"b":1}', valueType: 'json' }], /an object cannot be a field value/],
      ['a set json null', [{ type: 'set', target: 'tags', name: 'a', value: 'null', valueType: 'json' }], /null cannot be a tag value/],
      ['a set from an empty msg property', [{ type: 'set', target: 'tags', name: 'a', value: ' ', valueType: 'msg' }], /the msg property is empty/],
      ['a set from a malformed msg property', [{ type: 'set', target: 'tags', name: 'a', value: 'bad[', valueType: 'msg' }], /invalid msg property "bad\[": invalid property expression/],
      ['a JSONata syntax error', [{ type: 'set', target: 'tags', name: 'a', value: 'nope', valueType: 'jsonata' }], /invalid JSONata expression: Syntax error: "}" \(at character 3\)/],
      ['a rename without "to"', [{ type: 'rename', target: 'tags', from: 'a' }], /rule 1: to: a name is required/],
      ['a remove with a bad target', [{ type: 'remove', target: 'measurement', name: 'a' }], /target must be "tags" or "fields"/],
      ['a convert with an unknown unit', [{ type: 'convert', field: 't', unit: 'F->X' }], /unknown unit "X"/],
      ['a convert across families', [{ type: 'convert', field: 't', unit: 'F->bar' }], /cannot convert temperature/],
      ['a convert with a bad scale', [{ type: 'convert', field: 't', scale: 'abc' }], /scale must be a number/],
      ['a later rule at fault', [{ type: 'remove', target: 'tags', name: 'a' }, { type: 'remove', target: 'tags' }], /^rule 2: name/],
    ];
    for (const [name, rules, reason] of invalid) {
      it(`refuses ${name}`, function () {
        const { deps } = makeDeps();
        // The text users see: the problem's key in the enrich catalogue, filled with its params.
        assert.throws(() => compileRules(rules, deps), (err) => err instanceof RuleConfigError && reason.test(translate(`telemetry-enrich.errors.${err.key}`, err.params)));
      });
    }

    it('accepts no rules at all (the node then only validates)', async function () {
      const { deps } = makeDeps();
      for (const empty of [undefined, null, '', []]) assert.strictEqual(compileRules(empty, deps).rules.length, 0);
    });

    it('opens a lookup file once, with its key and target', function () {
      const { deps, calls } = makeDeps();
      compileRules([{ type: 'lookup', key: 'site', file: ' tables/sites.csv ', as: 'fields' }], deps);
      assert.deepStrictEqual(calls.openFile, [{ file: 'tables/sites.csv', format: 'csv', options: { key: 'site', as: 'fields' } }]);
    });
  });

  describe('lookup', function () {
    const lookup = (extra) => ({ type: 'lookup', key: 'device', table: SITES, ...extra });

    it('adds the row as tags, numbers turned into text', async function () {
      const result = await one([lookup()]);
      assert.deepStrictEqual(result.readings[0].tags, { device: 'dev-1', site: 'plant-a', floor: '2' });
    });

    it('adds the row as fields with their JSON types', async function () {
      const result = await one([lookup({ as: 'fields' })]);
      assert.deepStrictEqual(result.readings[0].fields, { temperature: 21.5, site: 'plant-a', floor: 2 });
    });

    it('accepts the inline table as JSON text', async function () {
      const result = await one([lookup({ table: JSON.stringify(SITES) })]);
      assert.strictEqual(result.readings[0].tags.site, 'plant-a');
    });

    it('looks up by any tag', async function () {
      const table = { 'plant-a': { region: 'north' } };
      const result = await one([{ type: 'lookup', key: 'site', table }], reading({ device: 'x', site: 'plant-a' }));
      assert.strictEqual(result.readings[0].tags.region, 'north');
    });

    const misses = [
      ['no row for the key', reading({ device: 'dev-9' }), /no row for device "dev-9"/],
      ['no key tag at all', reading({ site: 'x' }), /the reading has no tag "device"/],
    ];
    for (const [what, input, reason] of misses) {
      it(`onMissing "pass" passes a reading with ${what} unchanged`, async function () {
        const result = await one([lookup()], input);
        assert.deepStrictEqual(result.readings, [input]);
      });
      it(`onMissing "drop" drops a reading with ${what} and counts it`, async function () {
        const result = await one([lookup({ onMissing: 'drop' })], input);
        assert.deepStrictEqual([result.readings.length, result.refused.length, result.dropped], [0, 0, 1]);
      });
      it(`onMissing "output2" refuses a reading with ${what} as LOOKUP_MISS`, async function () {
        const result = await one([lookup({ onMissing: 'output2' })], input);
        assert.strictEqual(result.refused[0].code, 'LOOKUP_MISS');
        assert.match(result.refused[0].message, reason);
      });
    }

    it("uses the node's onMissing unless the rule has its own", async function () {
      const { enrich } = enricher([lookup(), lookup({ key: 'site', table: {}, onMissing: 'pass' })], { onMissing: 'output2' });
      const result = await enrich.apply([reading({ device: 'dev-9' }), reading({ device: 'dev-1' })], {});
      assert.deepStrictEqual(result.refused.map((r) => [r.index, r.code]), [[0, 'LOOKUP_MISS']]);
      assert.strictEqual(result.readings[0].tags.site, 'plant-a');
    });

    it('stops the rule chain at a drop or refusal', async function () {
      const result = await one([lookup({ onMissing: 'output2' }), { type: 'set', target: 'fields', name: 'x', value: 'never' }], reading({ device: 'dev-9' }));
      assert.strictEqual(result.refused[0].reading.fields.x, undefined);
    });

    it('refuses readings as TABLE_UNAVAILABLE while a file table has never loaded, saying why', async function () {
      const result = await one([{ type: 'lookup', key: 'device', file: 'sites.csv' }]);
      assert.strictEqual(result.refused[0].code, 'TABLE_UNAVAILABLE');
      assert.match(result.refused[0].message, /lookup device in sites\.csv\): no table loaded \(no such file\)/);
    });

    it('reads the file table current at the time of each msg', async function () {
      let table = tableFromData({ 'dev-1': { site: 'old' } }, { key: 'device', as: 'tags' });
      const { enrich } = enricher([{ type: 'lookup', key: 'device', file: 'sites.json' }], { openFile: () => ({ current: () => table }) });
      assert.strictEqual((await enrich.apply(reading(), {})).readings[0].tags.site, 'old');
      table = tableFromData({ 'dev-1': { site: 'new' } }, { key: 'device', as: 'tags' });
      assert.strictEqual((await enrich.apply(reading(), {})).readings[0].tags.site, 'new');
    });

    it('refuses a tag column that clashes with a field (TYPE_CLASH)', async function () {
      const result = await one([lookup({ table: { 'dev-1': { temperature: 'x' } } })]);
      assert.strictEqual(result.refused[0].code, 'TYPE_CLASH');
      assert.match(result.refused[0].message, /"temperature" is already a field/);
    });

    it('refuses a field column that would change the type of a field (TYPE_CLASH)', async function () {
      const result = await one([lookup({ as: 'fields', table: { 'dev-1': { temperature: 'warm' } } })]);
      assert.strictEqual(result.refused[0].code, 'TYPE_CLASH');
      assert.match(result.refused[0].message, /holds a number, the new value is a string/);
    });

    it('overwrites an existing tag (the table wins)', async function () {
      const result = await one([lookup()], reading({ device: 'dev-1', site: 'stale' }));
      assert.strictEqual(result.readings[0].tags.site, 'plant-a');
    });
  });

  describe('set', function () {
    const set = (target, valueType, value, name = 'x') => ({ type: 'set', target, name, value, valueType });
    const constants = [
      ['str', 'abc', 'abc', 'abc'],
      ['num', '42.5', '42.5', 42.5],
      ['num', '0x10', '16', 16],
      ['bool', 'true', 'true', true],
      ['bool', 'FALSE', 'false', false],
      ['json', '"quoted"', 'quoted', 'quoted'],
      ['json', '3', '3', 3],
      ['env', 'SITE', 'plant-env', 'plant-env'],
      [undefined, 'plain', 'plain', 'plain'],
    ];
    for (const [valueType, value, asTag, asField] of constants) {
      it(`${valueType || 'default (str)'} ${JSON.stringify(value)} → tag ${JSON.stringify(asTag)}, field ${JSON.stringify(asField)}`, async function () {
        assert.strictEqual((await one([set('tags', valueType, value)])).readings[0].tags.x, asTag);
        assert.strictEqual((await one([set('fields', valueType, value)])).readings[0].fields.x, asField);
      });
    }

    it('reads msg, flow and global values', async function () {
      const result = await one([set('tags', 'msg', 'topic', 'a'), set('tags', 'flow', 'site', 'b'), set('fields', 'global', 'region', 'c')], reading(), { topic: 'sensors/1' });
      assert.deepStrictEqual(result.readings[0].tags, { device: 'dev-1', a: 'sensors/1', b: 'plant-flow' });
      assert.strictEqual(result.readings[0].fields.c, 'eu');
    });

    it('reads a msg/flow/global value once per msg, not once per reading', async function () {
      const { enrich, calls } = enricher([set('tags', 'msg', 'topic'), set('tags', 'flow', 'site', 'y')]);
      const result = await enrich.apply([reading(), reading(), reading()], { topic: 't' });
      assert.strictEqual(result.readings.length, 3);
      assert.strictEqual(calls.msgValue, 2);
    });

    it('waits for a value that comes from an asynchronous context store', async function () {
      const result = await one([set('tags', 'flow', 'later')]);
      assert.strictEqual(result.readings[0].tags.x, 'async-value');
    });

    it('refuses every reading of the msg when a context read fails (EXPRESSION_FAILED)', async function () {
      const { enrich } = enricher([set('tags', 'flow', 'explodes')]);
      const result = await enrich.apply([reading(), reading()], {});
      assert.deepStrictEqual(result.refused.map((r) => r.code), ['EXPRESSION_FAILED', 'EXPRESSION_FAILED']);
      assert.match(result.refused[0].message, /rule 1 \(set tags\.x\): store offline/);
    });

    it('leaves the reading unchanged when the value is undefined (a missing msg property)', async function () {
      const input = reading();
      const result = await one([set('tags', 'msg', 'absent')], input);
      assert.deepStrictEqual(result.readings[0], input);
    });

    it('refuses a tag that clashes with a field (TYPE_CLASH)', async function () {
      const result = await one([set('tags', 'str', 'x', 'temperature')]);
      assert.strictEqual(result.refused[0].code, 'TYPE_CLASH');
    });

    it('refuses a field that clashes with a tag (TYPE_CLASH)', async function () {
      const result = await one([set('fields', 'num', '1', 'device')]);
      assert.strictEqual(result.refused[0].code, 'TYPE_CLASH');
      assert.match(result.refused[0].message, /"device" is already a tag/);
    });

    it('refuses a field that would change type (TYPE_CLASH) but replaces one of the same type', async function () {
      assert.strictEqual((await one([set('fields', 'str', 'warm', 'temperature')])).refused[0].code, 'TYPE_CLASH');
      assert.strictEqual((await one([set('fields', 'num', '5', 'temperature')])).readings[0].fields.temperature, 5);
    });

    const badValues = [
      ['an object', { nested: true }],
      ['null', null],
      ['an array', [1]],
    ];
    for (const [what, value] of badValues) {
      it(`refuses ${what} from msg as BAD_VALUE`, async function () {
        const result = await one([set('fields', 'msg', 'value')], reading(), { value });
        assert.strictEqual(result.refused[0].code, 'BAD_VALUE');
        assert.match(result.refused[0].message, /cannot be a field value/);
      });
    }
  });

  describe('set from JSONata', function () {
    const jsonata = (target, value, name = 'x') => ({ type: 'set', target, name, value, valueType: 'jsonata' });

    it('sees the reading as $ (after the rules before it) and the msg as $msg', async function () {
      const rules = [{ type: 'lookup', key: 'device', table: SITES }, jsonata('tags', 'zone', 'zone'), jsonata('fields', 'topic', 'source')];
      const result = await one(rules, reading(), { topic: 'sensors' });
      assert.strictEqual(result.readings[0].tags.zone, 'zone-plant-a');
      assert.strictEqual(result.readings[0].fields.source, 'sensors/dev-1');
    });

    it('writes a number as text into a tag', async function () {
      assert.strictEqual((await one([jsonata('tags', 'number')])).readings[0].tags.x, '42');
    });

    it('leaves the reading unchanged when the expression yields nothing (conditional tags)', async function () {
      const { enrich } = enricher([jsonata('tags', 'hot', 'hot')]);
      const result = await enrich.apply([reading({ device: 'a' }, { temperature: 35 }), reading({ device: 'b' }, { temperature: 20 })], {});
      assert.deepStrictEqual(result.readings.map((r) => r.tags.hot), ['hot', undefined]);
    });

    const bad = [
      ['an object', 'object', 'BAD_VALUE', /an object cannot be a tag value/],
      ['an array', 'array', 'BAD_VALUE', /an array cannot be a tag value/],
      ['NaN', 'nan', 'BAD_VALUE', /NaN cannot be stored/],
      ['an evaluation error', 'fails', 'EXPRESSION_FAILED', /JSONata: The right side .* \(at character 12\)/],
    ];
    for (const [what, expression, code, reason] of bad) {
      it(`refuses the reading on ${what} (${code}); the rest of the batch carries on`, async function () {
        const { enrich } = enricher([jsonata('tags', expression), { type: 'set', target: 'tags', name: 'after', value: 'yes' }]);
        const result = await enrich.apply([reading()], {});
        assert.strictEqual(result.refused[0].code, code);
        assert.match(result.refused[0].message, reason);
      });
    }
  });

  describe('rename and remove', function () {
    it('renames a tag', async function () {
      const result = await one([{ type: 'rename', target: 'tags', from: 'device', to: 'id' }]);
      assert.deepStrictEqual(result.readings[0].tags, { id: 'dev-1' });
    });

    it('renames a field', async function () {
      const result = await one([{ type: 'rename', target: 'fields', from: 'temperature', to: 'temp_c' }]);
      assert.deepStrictEqual(result.readings[0].fields, { temp_c: 21.5 });
    });

    it('does nothing when the name is absent, or the same', async function () {
      const input = reading();
      const result = await one([{ type: 'rename', target: 'tags', from: 'nope', to: 'x' }, { type: 'rename', target: 'tags', from: 'device', to: 'device' }], input);
      assert.deepStrictEqual(result.readings[0], input);
    });

    it('refuses a rename onto a name of the other kind (TYPE_CLASH)', async function () {
      const result = await one([{ type: 'rename', target: 'tags', from: 'device', to: 'temperature' }]);
      assert.strictEqual(result.refused[0].code, 'TYPE_CLASH');
    });

    it('removes a tag or a field, and ignores an absent one', async function () {
      const result = await one(
        [{ type: 'remove', target: 'tags', name: 'device' }, { type: 'remove', target: 'fields', name: 'hum' }, { type: 'remove', target: 'tags', name: 'absent' }],
        reading({ device: 'dev-1' }, { temperature: 1, hum: 2 }),
      );
      assert.deepStrictEqual([result.readings[0].tags, result.readings[0].fields], [{}, { temperature: 1 }]);
    });

    it('refuses a reading left without fields, as the validator says (NO_FIELDS)', async function () {
      const result = await one([{ type: 'remove', target: 'fields', name: 'temperature' }]);
      assert.strictEqual(result.refused[0].code, 'NO_FIELDS');
      assert.match(result.refused[0].message, /^after the rules: /);
    });
  });

  describe('convert', function () {
    it('converts a named unit pair in place', async function () {
      const result = await one([{ type: 'convert', field: 'temperature', unit: 'F->C' }], reading(undefined, { temperature: 212 }));
      assert.strictEqual(result.readings[0].fields.temperature, 100);
    });

    it('applies scale and offset (defaults 1 and 0, numeric text accepted)', async function () {
      const rules = [{ type: 'convert', field: 'a', scale: '0.1' }, { type: 'convert', field: 'b', offset: -5 }, { type: 'convert', field: 'c', scale: 2, offset: 1 }];
      const result = await one(rules, reading(undefined, { a: 3, b: 10, c: 4 }));
      assert.deepStrictEqual(result.readings[0].fields, { a: 0.3, b: 5, c: 9 });
    });

    it('ignores a reading without the field', async function () {
      const input = reading();
      assert.deepStrictEqual((await one([{ type: 'convert', field: 'pressure', unit: 'psi->bar' }], input)).readings[0], input);
    });

    for (const value of ['21.5', true]) {
      it(`refuses a ${typeof value} field as NOT_NUMERIC, saying what it holds`, async function () {
        const result = await one([{ type: 'convert', field: 'temperature', unit: 'F->C' }], reading(undefined, { temperature: value }));
        assert.strictEqual(result.refused[0].code, 'NOT_NUMERIC');
        assert.match(result.refused[0].message, /field "temperature" is (the string "21\.5"|the boolean true), not a number/);
      });
    }

    it('refuses a result InfluxDB cannot store (BAD_VALUE)', async function () {
      const result = await one([{ type: 'convert', field: 'temperature', scale: 1e308 }], reading(undefined, { temperature: 1e10 }));
      assert.strictEqual(result.refused[0].code, 'BAD_VALUE');
    });
  });

  describe('the engine', function () {
    it('enriches one reading or a batch; a batch keeps its order', async function () {
      const { enrich } = enricher([{ type: 'lookup', key: 'device', table: SITES }]);
      const single = await enrich.apply(reading(), {});
      assert.strictEqual(single.readings.length, 1);
      const batch = await enrich.apply([reading({ device: 'dev-2' }), reading({ device: 'dev-1' })], {});
      assert.deepStrictEqual(batch.readings.map((r) => r.tags.site), ['plant-b', 'plant-a']);
    });

    it('refuses invalid input readings with the validator code and goes on with the batch', async function () {
      const { enrich } = enricher([]);
      const result = await enrich.apply([{ measurement: 'm' }, reading(), 'junk'], {});
      assert.deepStrictEqual(result.refused.map((r) => [r.index, r.code]), [[0, 'NO_FIELDS'], [2, 'NOT_A_READING']]);
      assert.match(result.refused[0].message, /^invalid reading: /);
      assert.strictEqual(result.readings.length, 1);
    });

    const invalidButShaped = [
      ['passes every rule', [], 'BAD_TIMESTAMP'],
      ['is dropped by a lookup', [{ type: 'lookup', key: 'device', table: {}, onMissing: 'drop' }], 'BAD_TIMESTAMP'],
      ['is refused by a rule', [{ type: 'lookup', key: 'device', table: {}, onMissing: 'output2' }], 'BAD_TIMESTAMP'],
    ];
    for (const [what, rules, code] of invalidButShaped) {
      it(`reports an invalid input reading that ${what} as invalid, never dropped or blamed on a rule`, async function () {
        const input = { ...reading(), timestamp: 1.5 };
        const result = await one(rules, input);
        assert.deepStrictEqual([result.readings.length, result.dropped], [0, 0]);
        assert.strictEqual(result.refused[0].code, code);
        assert.match(result.refused[0].message, /^invalid reading: /);
      });
    }

    it('never changes the input; a refused reading is reported as it came in', async function () {
      const input = reading({ device: 'dev-1' }, { temperature: 'x' });
      const snapshot = JSON.parse(JSON.stringify(input));
      const result = await one([{ type: 'lookup', key: 'device', table: SITES }, { type: 'convert', field: 'temperature', unit: 'F->C' }], input);
      assert.deepStrictEqual(input, snapshot);
      assert.strictEqual(result.refused[0].reading, input);
    });

    it('answers synchronously when no rule needs a promise', function () {
      const { enrich } = enricher([{ type: 'lookup', key: 'device', table: SITES }, { type: 'set', target: 'tags', name: 'a', value: 'topic', valueType: 'msg' }]);
      const result = enrich.apply([reading(), reading()], { topic: 't' });
      assert.strictEqual(typeof result.then, 'undefined');
      assert.strictEqual(result.readings.length, 2);
    });

    it('refuses a reading as RULE_FAILED when a rule throws unexpectedly, and carries on', async function () {
      const broken = { current: () => { throw new Error('boom'); } };
      const { enrich } = enricher([{ type: 'lookup', key: 'device', file: 'x.csv' }], { openFile: () => broken });
      const result = await enrich.apply([reading(), reading()], {});
      assert.deepStrictEqual(result.refused.map((r) => r.code), ['RULE_FAILED', 'RULE_FAILED']);
      assert.match(result.refused[0].message, /boom/);
    });

    it('applies rules in order, each seeing the changes of the ones before', async function () {
      const rules = [
        { type: 'rename', target: 'fields', from: 'temp_f', to: 'temperature' },
        { type: 'convert', field: 'temperature', unit: 'F->C' },
        { type: 'set', target: 'tags', name: 'unit', value: 'C' },
      ];
      const result = await one(rules, reading(undefined, { temp_f: 32 }));
      assert.deepStrictEqual(result.readings[0].fields, { temperature: 0 });
      assert.strictEqual(result.readings[0].tags.unit, 'C');
    });
  });
});
