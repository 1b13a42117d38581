// Screenshots of reviewer pages in headless Chromium (Debian's), for the
// README's "What it looks like" (make screenshots; not part of the tests).
//   node screenshots.mjs BASE OUTDIR PLAN_JSON
// PLAN_JSON is a list of {"name", "path", "lang"?, "action"?}: each page is
// opened with Accept-Language lang (default en) and saved as
// OUTDIR/NAME-390.png and OUTDIR/NAME-1280.png, the visible window only
// (small files). action "submit-empty" sends the page's first form with
// nothing filled in (the browser's own checks off) to show the server's
// field errors.
import { launch } from './chromium.mjs';

const [, , base, outdir, planJson] = process.argv;
const plan = JSON.parse(planJson);

const browser = await launch();
try {
  for (const [width, height] of [[390, 844], [1280, 800]]) {
    for (const shot of plan) {
      const context = await browser.newContext({
        viewport: { width, height }, deviceScaleFactor: 1,
        locale: shot.lang || 'en',
        extraHTTPHeaders: { 'Accept-Language': shot.lang || 'en' } });
      const page = await context.newPage();
      await page.goto(`${base}${shot.path}`);
      if (shot.action === 'submit-empty') {
        const form = await page.$('form');
        await form.evaluate(f => { f.noValidate = true; });
        await Promise.all([page.waitForLoadState('load'),
          page.click('form button[type=submit]')]);
      }
      await page.screenshot({ path: `${outdir}/${shot.name}-${width}.png` });
      await context.close();
    }
  }
} finally {
  await browser.close();
}
