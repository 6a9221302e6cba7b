'use strict';
// The test helper's RED._ returns the key itself; the runtime looks the key up in the node's
// message catalogue and fills in i18next's __params__. withCatalog() does the same, so tests see
// the texts users see, and records every key the catalogue lacks (assert `missingKeys` is empty).
const path = require('path');

const LOCALES = path.join(__dirname, '..', '..', 'nodes', 'locales', 'en-US');

function catalogTranslator(type) {
  const catalog = require(path.join(LOCALES, `${type}.json`));
  const missingKeys = new Set();
  function translate(key, params = {}) {
    const text = key.split('.').reduce((node, part) => (node && typeof node === 'object' ? node[part] : undefined), catalog);
    if (typeof text !== 'string') {
      missingKeys.add(key);
      return key;
    }
    return text.replace(/__(\w+)__/g, (all, name) => (name in params ? String(params[name]) : all));
  }
  /** Wraps a node module (`(RED) => void`) so it registers with this translator as `RED._`. */
  function withCatalog(nodeModule) {
    return function (RED) {
      const red = Object.create(RED);
      red._ = translate;
      return nodeModule(red);
    };
  }
  return { translate, missingKeys, withCatalog, catalog };
}

module.exports = { catalogTranslator };
