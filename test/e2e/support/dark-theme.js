'use strict';
// Node-RED 5's default dark theme (html.nr-theme-dark in @node-red/editor-client 5.0.7): the
// variables an edit dialog uses. Node-RED 4.1 ships no dark theme, but its stylesheet reads the
// same --red-ui-* variables: setting these on :root shows our dialogs as they look in Node-RED 5
// dark, so anything that does not follow the theme (a fixed light background, a dark text
// colour) shows up as unreadable text.
const DARK = {
  '--red-ui-primary-background': '#15151a',
  '--red-ui-secondary-background': '#1b1b23',
  '--red-ui-secondary-background-selected': '#22222c',
  '--red-ui-secondary-background-inactive': '#14141b',
  '--red-ui-secondary-background-hover': '#1e1e27',
  '--red-ui-secondary-background-disabled': '#13131a',
  '--red-ui-tertiary-background': '#17171d',
  '--red-ui-primary-text-color': '#f0f0f0',
  '--red-ui-secondary-text-color': '#aaaaaa',
  '--red-ui-secondary-text-color-selected': '#dddddd',
  '--red-ui-secondary-text-color-inactive': '#aaaaaa',
  '--red-ui-secondary-text-color-disabled': '#7a7a7b',
  '--red-ui-tertiary-text-color': '#9a9a9a',
  '--red-ui-header-text-color': '#e0e0e0',
  '--red-ui-text-color-error': '#ff6369',
  '--red-ui-text-color-code': '#00d4c8',
  '--red-ui-text-color-link': '#e84a4a',
  '--red-ui-primary-border-color': '#252527',
  '--red-ui-secondary-border-color': '#252527',
  '--red-ui-tertiary-border-color': '#2a2a2c',
  '--red-ui-form-background': '#1b1b23',
  '--red-ui-form-placeholder-color': '#8a8a8a',
  '--red-ui-form-text-color': '#f0f0f0',
  '--red-ui-form-text-color-disabled': '#7a7a7b',
  '--red-ui-form-input-focus-color': '#e84a4a',
  '--red-ui-form-input-border-color': '#2a2a2c',
  '--red-ui-form-input-border-error-color': '#e5484d',
  '--red-ui-form-input-background': '#0e0e12',
  '--red-ui-form-input-background-disabled': '#15151a',
  '--red-ui-form-button-background': '#22222c',
  '--red-ui-form-tips-background': '#120c00',
  '--red-ui-list-item-color': '#f0f0f0',
  '--red-ui-list-item-secondary-color': '#aaaaaa',
  '--red-ui-list-item-background': '#1b1b23',
  '--red-ui-list-item-background-hover': '#1e1e27',
  '--red-ui-list-item-background-selected': '#22222c',
  '--red-ui-tab-background': '#1b1b23',
  '--red-ui-tab-background-active': '#1b1b23',
  '--red-ui-tab-background-selected': '#22222c',
  '--red-ui-tab-background-inactive': '#15151a',
  '--red-ui-tab-text-color-active': '#e0e0e0',
  '--red-ui-tab-text-color-inactive': '#808080',
  '--red-ui-workspace-button-background': '#15151a',
  '--red-ui-workspace-button-background-hover': '#1e1e27',
  '--red-ui-workspace-button-background-active': '#22222c',
  '--red-ui-workspace-button-color': '#aaaaaa',
  '--red-ui-workspace-button-color-hover': '#e84a4a',
  '--red-ui-workspace-button-color-active': '#f0f0f0',
  '--red-ui-popover-background': '#15151a',
  '--red-ui-popover-border': '#252527',
  '--red-ui-popover-color': '#f0f0f0',
  '--red-ui-view-background': '#0e0e12',
  '--red-ui-text-editor-color': '#f0f0f0',
  '--red-ui-text-editor-background': '#08080e',
};

/**
 * Dark on or off. Node-RED 5 has a real dark theme: the editor switches it by the class
 * `nr-theme-dark` on <html> (what its View ▸ Appearance setting does), so that is used there;
 * on Node-RED 4 the dark palette above is set on the theme variables. Resolves to the mode used.
 */
function setDarkTheme(page, on) {
  return page.evaluate(
    ([vars, enable]) => {
      const major = parseInt(String((RED.settings && RED.settings.version) || '4'), 10);
      if (major >= 5) {
        document.documentElement.classList.toggle('nr-theme-dark', enable);
        return enable ? 'Node-RED 5 dark theme' : 'light';
      }
      let el = document.getElementById('e2e-dark-theme');
      if (!enable) {
        if (el) el.remove();
        document.documentElement.style.colorScheme = '';
        return 'light';
      }
      if (!el) {
        el = document.createElement('style');
        el.id = 'e2e-dark-theme';
        document.head.appendChild(el);
      }
      el.textContent = `:root { ${Object.entries(vars).map(([k, v]) => `${k}: ${v} !important;`).join(' ')} }`;
      document.documentElement.style.colorScheme = 'dark';
      return 'Node-RED 5 dark palette on Node-RED 4 variables';
    },
    [DARK, on],
  );
}

/**
 * Text in the top dialog whose colour is too close to what is behind it (WCAG contrast < 3:1,
 * the minimum for large text; normal text should have 4.5:1). Placeholders are left out.
 */
function lowContrastText(page, minRatio = 3) {
  return page.evaluate((min) => {
    const parse = (c) => {
      const m = /rgba?\(([^)]+)\)/.exec(c);
      if (!m) return null;
      const [r, g, b, a = 1] = m[1].split(',').map((x) => parseFloat(x));
      return { r, g, b, a };
    };
    const lum = ({ r, g, b }) => {
      const f = (v) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4);
      };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const backgroundOf = (el) => {
      for (let e = el; e; e = e.parentElement) {
        const bg = parse(getComputedStyle(e).backgroundColor);
        if (bg && bg.a > 0.5) return bg;
      }
      return { r: 255, g: 255, b: 255, a: 1 };
    };
    const tray = $('#red-ui-editor-stack .red-ui-tray').last().find('.red-ui-tray-body')[0];
    const bad = [];
    const seen = new Set();
    const check = (el, what) => {
      const style = getComputedStyle(el);
      if (style.visibility === 'hidden' || style.display === 'none' || parseFloat(style.opacity) === 0) return;
      const fg = parse(style.color);
      if (!fg) return;
      const bg = backgroundOf(el);
      const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
      const ratio = (a + 0.05) / (b + 0.05);
      if (ratio < min) {
        const key = `${what}|${style.color}|${ratio.toFixed(1)}`;
        if (!seen.has(key)) {
          seen.add(key);
          bad.push(`"${what.slice(0, 40)}" ${style.color} on rgb(${bg.r}, ${bg.g}, ${bg.b}): ${ratio.toFixed(2)}:1`);
        }
      }
    };
    const walker = document.createTreeWalker(tray, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const text = n.textContent.trim();
      if (!text || !n.parentElement || !$(n.parentElement).is(':visible')) continue;
      if (n.parentElement.closest('option')) continue; // drawn by the OS list, not the page
      check(n.parentElement, text);
    }
    $(tray).find('input:visible, select:visible, textarea:visible').each(function () {
      if (this.type === 'checkbox' || this.type === 'radio') return;
      if (this.value) check(this, `${this.id || this.tagName}=${this.value}`);
    });
    return bad;
  }, minRatio);
}

module.exports = { DARK, setDarkTheme, lowContrastText };
