'use strict';
const assert = require('assert');
const { parseUnitPair, cleanFloat, unitFamilies, unitSpellings } = require('../../dist/core/enrich/units');

function convert(pair, value) {
  const map = parseUnitPair(pair);
  assert.strictEqual(typeof map, 'object', `${pair}: ${map}`);
  return cleanFloat(value * map.scale + map.offset);
}

describe('core/enrich/units', function () {
  const cases = [
    // [pair, input, expected]
    ['F->C', 212, 100],
    ['F->C', 32, 0],
    ['F->C', -40, -40],
    ['C->F', 100, 212],
    ['C->F', 37, 98.6],
    ['K->C', 273.15, 0],
    ['C->K', -273.15, 0],
    ['F->K', 32, 273.15],
    ['K->F', 0, -459.67],
    ['psi->bar', 14.503773773020923, 1],
    ['bar->psi', 1, 14.5037737730209],
    ['bar->kPa', 1.013, 101.3],
    ['kPa->psi', 6.894757293168361, 1],
    ['hPa->kPa', 1013.25, 101.325],
    ['mbar->hPa', 5, 5],
    ['Pa->bar', 100000, 1],
    ['mph->km/h', 60, 96.56064],
    ['km/h->m/s', 36, 10],
    ['m/s->km/h', 10, 36],
    ['mph->m/s', 1, 0.44704],
    ['kn->km/h', 1, 1.852],
    ['Wh->kWh', 1500, 1.5],
    ['kWh->J', 1, 3600000],
    ['J->Wh', 7200, 2],
    ['kJ->J', 2.5, 2500],
    ['C->C', 21.5, 21.5],
  ];
  for (const [pair, input, expected] of cases) {
    it(`${pair}: ${input} → ${expected}`, function () {
      assert.strictEqual(convert(pair, input), expected);
    });
  }

  const spellings = [
    ['°F->°C', 212, 100],
    ['degF -> degC', 212, 100],
    ['f->c', 212, 100],
    ['F→C', 212, 100],
    ['kmh->mps', 36, 10],
    ['KWH->wh', 1, 1000],
    ['knots->kph', 1, 1.852],
  ];
  for (const [pair, input, expected] of spellings) {
    it(`accepts the spelling "${pair}"`, function () {
      assert.strictEqual(convert(pair, input), expected);
    });
  }

  const refusals = [
    ['F->bar', /cannot convert temperature \(F\) to pressure \(bar\)/],
    ['F', /two units joined by "->"/],
    ['F->C->K', /two units joined by "->"/],
    ['X->C', /unknown unit "X"/],
    ['C->parsec', /unknown unit "parsec"/],
    [42, /unit must be text/],
  ];
  for (const [pair, reason] of refusals) {
    it(`refuses ${JSON.stringify(pair)} with a reason`, function () {
      const result = parseUnitPair(pair);
      assert.strictEqual(typeof result, 'string');
      assert.match(result, reason);
    });
  }

  it('has no two spellings that differ only in case (case-insensitive matching stays unambiguous)', function () {
    const seen = new Map();
    for (const spelling of unitSpellings()) {
      const lower = spelling.toLowerCase();
      const a = parseUnitPair(`${spelling}->${spelling}`);
      if (seen.has(lower)) assert.deepStrictEqual(a, seen.get(lower), spelling);
      seen.set(lower, a);
    }
    const names = Object.values(unitFamilies()).flat().map((n) => n.toLowerCase());
    assert.strictEqual(new Set(names).size, names.length);
  });

  it('cleanFloat removes binary noise but keeps 15 significant digits', function () {
    assert.strictEqual(cleanFloat(0.1 + 0.2), 0.3);
    assert.strictEqual(cleanFloat(1732400000123), 1732400000123);
    assert.strictEqual(cleanFloat(2.777777777777778e-7), 2.77777777777778e-7);
    assert.strictEqual(cleanFloat(0), 0);
  });
});
