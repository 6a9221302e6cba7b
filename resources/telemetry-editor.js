/*
 * Shared by the telemetry nodes' edit dialogs. Node-RED serves a package's resources/ folder at
 * resources/<package>/, and each node's HTML loads this file with a <script src> before its own
 * script (jQuery evaluates it synchronously when the editor adds the node definitions).
 * Durations follow the grammar of src/core/duration.ts: 500ms, 10s, 5m, 1h, 30d, 2w, 1h30m,
 * or a plain number of milliseconds.
 */
(function () {
  'use strict';
  if (window.TelemetryEditor) return;
  var UNIT_MS = { ms: 1, s: 1000, m: 60000, h: 3600000, d: 86400000, w: 604800000 };

  /** Milliseconds of a duration text, NaN when it is empty or not a duration. */
  function durationMs(value) {
    var text = String(value === undefined || value === null ? '' : value).trim().toLowerCase();
    if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
    if (!/^(\s*\d+(\.\d+)?\s*(ms|s|m|h|d|w)\s*)+$/.test(text)) return NaN;
    var total = 0;
    text.replace(/(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)/g, function (_all, n, unit) {
      total += Number(n) * UNIT_MS[unit];
      return '';
    });
    return total;
  }

  window.TelemetryEditor = {
    durationMs: durationMs,
    isDuration: function (value) {
      return !isNaN(durationMs(value));
    }
  };
})();
