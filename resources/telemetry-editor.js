/*
 * Shared by the telemetry nodes' edit dialogs (their look is in telemetry-editor.css). Node-RED
 * serves a package's resources/ folder at resources/<package>/, and each node's HTML loads this
 * file with a <script src> before its own script (jQuery evaluates it synchronously when the
 * editor adds the node definitions). Nothing here runs at load time but the definition itself:
 * the helpers are called from the nodes' validators and oneditprepare.
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

  var PACKAGE = '@iot-telemetry/node-red-pipeline';

  /**
   * The editor texts of one node type: t('label.name', params). They live in this node set's
   * namespace; a bare RED._('<type>.…') would look in the editor's own catalogue and show the key.
   */
  function texts(type) {
    return function (key, params) {
      return RED._(PACKAGE + '/' + type + ':' + type + '.' + key, params);
    };
  }

  /**
   * A validator for a whole number from min to max (Infinity: no upper bound). It takes (v, opt):
   * with two parameters Node-RED shows the returned string, t(key), as the reason.
   */
  function wholeNumber(min, max, t, key) {
    return function (v, opt) {
      var n = Number(v);
      return (Number.isInteger(n) && n >= min && n <= max) || t(key);
    };
  }

  /**
   * A paletteLabel / inputLabels / outputLabels function: t(key), or t(keys[port]) with one text
   * per port.
   */
  function textFor(t, keys) {
    return function (port) {
      return t(Array.isArray(keys) ? keys[port] : keys);
    };
  }

  /** A node's label in italics while it shows the user's name instead of its settings. */
  function labelStyle() {
    return this.name ? 'node_label_italic' : '';
  }

  /** Shows `rows` while show() holds: now, and each time one of `inputs` changes. */
  function showWhen(rows, inputs, show) {
    function update() {
      $(rows).toggle(!!show());
    }
    $(inputs).on('change keyup', update);
    update();
  }

  /**
   * Fills a context-store <select>: '' (the runtime's default store, named by defaultText(store))
   * then every store of the runtime settings, and selects `value`.
   */
  function contextStores(select, value, defaultText) {
    var context = RED.settings.context || { default: 'memory', stores: ['memory'] };
    var el = $(select);
    $('<option>').val('').text(defaultText(context.default)).appendTo(el);
    (context.stores || []).forEach(function (store) {
      $('<option>').val(store).text(store).appendTo(el);
    });
    el.val(value || '');
  }

  /**
   * The rows of an editable rule list (`#<listId>`), each read by the `read` function its row
   * builder stored with $(row).data('read', …): the node's `rules` on Done.
   */
  function ruleListItems(listId) {
    var rules = [];
    $('#' + listId).editableList('items').each(function () {
      var read = $(this).data('read');
      if (read) rules.push(read());
    });
    return rules;
  }

  /**
   * oneditresize for a dialog whose rule list sits in the form row `rowClass`: the list takes
   * the height the other rows leave (at least `minHeight` when given).
   */
  function fitRuleList(listId, rowClass, size, minHeight) {
    var rows = $('#dialog-form .telemetry-form > div:not(.' + rowClass + ')');
    var height = size.height;
    for (var i = 0; i < rows.length; i++) height -= $(rows[i]).outerHeight(true);
    var editorRow = $('#dialog-form .telemetry-form > div.' + rowClass);
    height -= (parseInt(editorRow.css('marginTop'), 10) + parseInt(editorRow.css('marginBottom'), 10));
    $('#' + listId).editableList('height', minHeight === undefined ? height : Math.max(minHeight, height));
  }

  /**
   * The workspace label of a node with a rule list: its name, else its one rule described by
   * `describeRule`, else the count of rules (locale keys label.noRules / label.ruleCount).
   */
  function ruleListLabel(t, describeRule) {
    return function () {
      if (this.name) return this.name;
      var rules = this.rules || [];
      if (rules.length === 1) return describeRule(rules[0]);
      if (rules.length === 0) return t('label.noRules');
      return t('label.ruleCount', { count: rules.length });
    };
  }

  window.TelemetryEditor = {
    durationMs: durationMs,
    isDuration: function (value) {
      return !isNaN(durationMs(value));
    },
    texts: texts,
    wholeNumber: wholeNumber,
    textFor: textFor,
    labelStyle: labelStyle,
    showWhen: showWhen,
    contextStores: contextStores,
    ruleListItems: ruleListItems,
    ruleListLabel: ruleListLabel,
    fitRuleList: fitRuleList
  };
})();
