'use strict';
// The fonts the browser tests render with: exactly Debian's fonts-dejavu-core (which .ci/run
// installs), whatever else the machine has. The layout checks measure text, and DejaVu Sans is
// wider than the Liberation/Arial metrics a machine with more fonts would pick for the editor's
// "Helvetica Neue, Arial, sans-serif": without this a dialog could pass on one machine and fail
// on a fresh one. Chromium reads its fonts through fontconfig, so a fontconfig file that knows
// only these files (FONTCONFIG_FILE in Chromium's environment) is the whole font world it sees.
const fs = require('fs');
const os = require('os');
const path = require('path');

const PACKAGE = 'fonts-dejavu-core';
const DIR = '/usr/share/fonts/truetype/dejavu';
// The files of fonts-dejavu-core (fonts-dejavu-extra adds condensed, oblique and light faces to
// the same folder: left out, so a machine with it renders as one without).
const FILES = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf', 'DejaVuSansMono.ttf', 'DejaVuSansMono-Bold.ttf', 'DejaVuSerif.ttf', 'DejaVuSerif-Bold.ttf'];
const SANS = 'DejaVu Sans';

function missingFonts() {
  return FILES.map((f) => path.join(DIR, f)).filter((f) => !fs.existsSync(f));
}

function xmlText(s) {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
}

/**
 * A temp dir holding links to the DejaVu core files and a fonts.conf that knows only them; every
 * family the page names that is not there (Helvetica Neue, Arial…) falls back to DejaVu Sans, as
 * on a machine with only this package. Throws, naming the package, when a file is missing.
 * Returns { env (for Chromium), dir, cleanup() }.
 */
function isolatedFontconfig() {
  const missing = missingFonts();
  if (missing.length) {
    throw new Error(
      `the browser tests render with ${PACKAGE} only, and ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing: ` +
        `install it (apt-get install ${PACKAGE}; .ci/run does)`,
    );
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-fonts-'));
  const fontDir = path.join(dir, 'fonts');
  fs.mkdirSync(fontDir);
  for (const f of FILES) fs.symlinkSync(path.join(DIR, f), path.join(fontDir, f));
  const conf = `<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<fontconfig>
  <dir>${xmlText(fontDir)}</dir>
  <cachedir>${xmlText(path.join(dir, 'cache'))}</cachedir>
  <!-- A family with no generic one after it gets sans-serif (as Debian's 49-sansserif.conf does). -->
  <match target="pattern">
    <test qual="all" name="family" compare="not_eq"><string>sans-serif</string></test>
    <test qual="all" name="family" compare="not_eq"><string>serif</string></test>
    <test qual="all" name="family" compare="not_eq"><string>monospace</string></test>
    <edit name="family" mode="append_last"><string>sans-serif</string></edit>
  </match>
  <alias binding="same"><family>sans-serif</family><prefer><family>${SANS}</family></prefer></alias>
  <alias binding="same"><family>serif</family><prefer><family>DejaVu Serif</family></prefer></alias>
  <alias binding="same"><family>monospace</family><prefer><family>DejaVu Sans Mono</family></prefer></alias>
</fontconfig>
`;
  const file = path.join(dir, 'fonts.conf');
  fs.writeFileSync(file, conf);
  return {
    env: { FONTCONFIG_FILE: file },
    dir,
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * The platform fonts Chromium used for the text of the first element matching `selector`
 * (DevTools protocol CSS.getPlatformFontsForNode), e.g. ['DejaVu Sans'].
 */
async function renderedFonts(page, selector) {
  const cdp = await page.context().newCDPSession(page);
  try {
    await cdp.send('DOM.enable');
    await cdp.send('CSS.enable');
    const { root } = await cdp.send('DOM.getDocument', { depth: -1 });
    const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector });
    if (!nodeId) throw new Error(`no element ${selector}`);
    const { fonts } = await cdp.send('CSS.getPlatformFontsForNode', { nodeId });
    return fonts.map((f) => f.familyName);
  } finally {
    await cdp.detach().catch(() => {});
  }
}

module.exports = { isolatedFontconfig, renderedFonts, missingFonts, PACKAGE, SANS, FILES, DIR };
