'use strict';
const assert = require('assert');
const { tableFromData, tableFromCsv, parseTableText, tableFormatOf, TableError } = require('../../dist/core/enrich/table');

/** The row for `key` as a plain object, or undefined. */
function row(table, key) {
  const r = table.get(key);
  if (!r) return undefined;
  const out = {};
  r.columns.forEach((c, i) => {
    if (r.values[i] !== undefined) out[c] = r.values[i];
  });
  return out;
}

const tags = { key: 'device', as: 'tags' };
const fields = { key: 'device', as: 'fields' };

describe('core/enrich/table', function () {
  describe('inline data', function () {
    const cases = [
      {
        name: 'object keyed by the key value',
        data: { 'dev-1': { site: 'plant-a', floor: 2 }, 'dev-2': { site: 'plant-b' } },
        options: tags,
        expect: { 'dev-1': { site: 'plant-a', floor: '2' }, 'dev-2': { site: 'plant-b' } },
      },
      {
        name: 'object as fields keeps numbers and booleans',
        data: { 'dev-1': { altitude: 120.5, indoor: true, label: 'x' } },
        options: fields,
        expect: { 'dev-1': { altitude: 120.5, indoor: true, label: 'x' } },
      },
      {
        name: 'array of rows: the column named like the key is the key, not a column',
        data: [{ site: 'plant-a', device: 'dev-1' }, { device: 'dev-2', site: 'plant-b' }],
        options: tags,
        expect: { 'dev-1': { site: 'plant-a' }, 'dev-2': { site: 'plant-b' } },
      },
      {
        name: 'array of rows without the key column: the first property is the key',
        data: [{ id: 'dev-1', site: 'plant-a' }, { id: 7, site: 'plant-b' }],
        options: tags,
        expect: { 'dev-1': { site: 'plant-a' }, 7: { site: 'plant-b' } },
      },
      {
        name: 'null values add nothing',
        data: { 'dev-1': { site: null, floor: 1 } },
        options: tags,
        expect: { 'dev-1': { floor: '1' } },
      },
    ];
    for (const c of cases) {
      it(c.name, function () {
        const table = tableFromData(c.data, c.options);
        assert.strictEqual(table.size, Object.keys(c.expect).length);
        for (const [key, expected] of Object.entries(c.expect)) assert.deepStrictEqual(row(table, key), expected);
      });
    }

    it('counts duplicate keys; the last row wins', function () {
      const table = tableFromData([{ device: 'a', v: '1' }, { device: 'a', v: '2' }], tags);
      assert.strictEqual(table.duplicates, 1);
      assert.deepStrictEqual(row(table, 'a'), { v: '2' });
    });

    const refusals = [
      ['a scalar', 42, /must be an object keyed by the lookup key, or an array/],
      ['a row that is not an object', { a: 'x' }, /row "a" must be an object/],
      ['a nested object value', { a: { meta: { x: 1 } } }, /an object cannot be a tag value/],
      ['an array row without a key value', [{ device: 'a', v: 1 }, { v: 2 }], /row 2 has no "device" value/],
      ['a reserved column name', { a: { time: 1 } }, /"time" is reserved/],
      ['an empty column name', { a: { '': 1 } }, /a name is required/],
      ['a column name with a line break', { a: { 'x\ny': 1 } }, /line break/],
    ];
    for (const [name, data, reason] of refusals) {
      it(`refuses ${name}`, function () {
        assert.throws(() => tableFromData(data, tags), (err) => err instanceof TableError && reason.test(err.message));
      });
    }
  });

  describe('CSV', function () {
    it('uses the column named like the key, wherever it is', function () {
      const table = tableFromCsv('site,device,floor\nplant-a,dev-1,2\nplant-b,dev-2,3\n', tags);
      assert.deepStrictEqual(row(table, 'dev-2'), { site: 'plant-b', floor: '3' });
    });

    it('uses the first column when no column is named like the key', function () {
      const table = tableFromCsv('id,site\ndev-1,plant-a\n', tags);
      assert.deepStrictEqual(row(table, 'dev-1'), { site: 'plant-a' });
    });

    it('as fields, turns JSON-style numbers and true/false into values and leaves the rest as text', function () {
      const table = tableFromCsv('device,alt,neg,exp,zip,flag,off,word,half\nd,120.5,-3,1e3,007,true,false,abc,.5\n', fields);
      assert.deepStrictEqual(row(table, 'd'), { alt: 120.5, neg: -3, exp: 1000, zip: '007', flag: true, off: false, word: 'abc', half: '.5' });
    });

    it('as tags, keeps every cell as text', function () {
      const table = tableFromCsv('device,floor,flag\nd,2,true\n', tags);
      assert.deepStrictEqual(row(table, 'd'), { floor: '2', flag: 'true' });
    });

    it('handles quotes, embedded commas and newlines, a BOM, CRLF, blank lines and padding', function () {
      const text = '\ufeffdevice , note\r\n"dev-1", "a, ""quoted""\nnote"\r\n\r\n dev-2 ,plain\r\n';
      const table = tableFromCsv(text, tags);
      assert.deepStrictEqual(row(table, 'dev-1'), { note: 'a, "quoted"\nnote' });
      assert.deepStrictEqual(row(table, 'dev-2'), { note: 'plain' });
    });

    it('leaves empty cells out', function () {
      const table = tableFromCsv('device,site,floor\nd,,3\n', tags);
      assert.deepStrictEqual(row(table, 'd'), { floor: '3' });
    });

    it('shares one column list between all rows (memory: one array of values per row)', function () {
      const table = tableFromCsv('device,site\na,x\nb,y\n', tags);
      assert.strictEqual(table.get('a').columns, table.get('b').columns);
    });

    it('accepts a header-only file as an empty table', function () {
      assert.strictEqual(tableFromCsv('device,site\n', tags).size, 0);
    });

    const refusals = [
      ['an empty text', '', /no header line/],
      ['a ragged record', 'device,site\na,x,extra\n', /invalid CSV/],
      ['an unclosed quote', 'device,site\na,"x\n', /invalid CSV/],
      ['an empty key', 'device,site\n,x\n', /record 2: the key column "device" is empty/],
      ['a bad header name', 'device,time\na,x\n', /header: column "time"/],
    ];
    for (const [name, text, reason] of refusals) {
      it(`refuses ${name}`, function () {
        assert.throws(() => tableFromCsv(text, tags), (err) => err instanceof TableError && reason.test(err.message));
      });
    }
  });

  describe('parseTableText and formats', function () {
    it('parses JSON text (with a BOM)', function () {
      const table = parseTableText('\ufeff{"d":{"site":"a"}}', 'json', tags);
      assert.deepStrictEqual(row(table, 'd'), { site: 'a' });
    });

    it('refuses invalid JSON with the parser message', function () {
      assert.throws(() => parseTableText('{"d":', 'json', tags), /invalid JSON/);
    });

    const formats = [['sites.csv', 'csv'], ['a/b/SITES.JSON', 'json'], ['sites.txt', undefined], ['csv', undefined]];
    for (const [file, format] of formats) {
      it(`knows the format of ${file}: ${format}`, function () {
        assert.strictEqual(tableFormatOf(file), format);
      });
    }
  });
});
