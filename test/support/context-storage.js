'use strict';
const helper = require('./helper');

/**
 * Call inside a `describe` whose node tests need node context kept across a close/redeploy:
 * Node-RED keeps it only when settings.js configures contextStorage (else it deletes it on
 * close), and the test helper never does, nor loads the stores (`await helper._context.load()`
 * after `helper.load` does). Configures a memory store for the suite and puts the helper's
 * settings back after it.
 */
function useMemoryContextStorage() {
  let original;
  before(function () {
    original = helper._settings;
    helper.settings({ contextStorage: { default: 'memory', memory: { module: 'memory' } } });
  });
  after(function () {
    helper._settings = original;
  });
}

module.exports = { useMemoryContextStorage };
