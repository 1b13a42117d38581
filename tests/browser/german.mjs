// A German invitation end to end in headless Chromium (Debian's), in a
// browser that asks for English: the invitation's language wins.
//   node german.mjs invitation BASE LINK_PATH TEXTS_JSON
//   node german.mjs expired BASE LINK_PATH TEXTS_JSON
// TEXTS_JSON holds the texts of lang/de.txt the pages must show (the
// pytest test tests/integration/test_browser_pages.py reads them).
// Exits non-zero with a message when a page is not German or does not do
// what a reviewer expects.
import { fail, launch } from './chromium.mjs';

const [, , mode, base, path, textsJson] = process.argv;
const de = JSON.parse(textsJson);

async function german(page, what) {
  const lang = await page.getAttribute('html', 'lang');
  if (lang !== 'de')
    fail(`${what}: <html lang="${lang}">, not de`);
}

const browser = await launch();
try {
  const context = await browser.newContext({
    locale: 'en-US', viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  if (mode === 'invitation') {
    const response = await page.goto(`${base}${path}`);
    if (response.status() !== 200)
      fail(`the invitation link answered ${response.status()}`);
    await german(page, 'the form');
    const main = await page.textContent('main');
    if (!main.includes(de.experience) || !main.includes('Hallo Dieter'))
      fail(`the form is not German: ${main}`);
    if ((await page.textContent('button[type=submit]')).trim() !==
        de.submit_review)
      fail('the submit button is not German');
    // stars only: the title is missing, said next to it in German
    await page.click('label[for="stars-4"]');
    await Promise.all([page.waitForLoadState('load'),
      page.click('button[type=submit]')]);
    await german(page, 'the form with errors');
    const error = (await page.textContent('#err-title')).trim();
    if (error !== `${de.experience}: ${de.hint_title}`)
      fail(`the title's error reads "${error}"`);
    if (await page.getAttribute('#title', 'aria-invalid') !== 'true' ||
        await page.getAttribute('#title', 'aria-describedby') !==
        'err-title')
      fail('the title is not marked invalid and described by its error');
    if (await page.evaluate(() => document.activeElement.id) !== 'title')
      fail('the focus is not on the first field in error');
    if (!(await page.textContent('main')).includes(de.check_review))
      fail('the page does not ask, in German, to check the review');
    // the stars chosen are kept
    if (await page.$eval('input[name=stars]:checked', e => e.value) !== '4')
      fail('the stars chosen were lost');
    await page.fill('#title', 'Schnell und freundlich');
    await page.fill('#text', 'Die Lieferung kam am nächsten Tag.');
    await Promise.all([page.waitForLoadState('load'),
      page.click('button[type=submit]')]);
    await german(page, 'the thank-you page');
    const h1 = (await page.textContent('h1')).trim();
    if (h1 !== de.thanks)
      fail(`after submitting, the page says "${h1}"`);
    if (!(await page.textContent('main')).includes(de.published))
      fail('the thank-you page does not say the review is published');
  } else if (mode === 'expired') {
    const response = await page.goto(`${base}${path}`);
    if (response.status() !== 410)
      fail(`the expired link answered ${response.status()}`);
    await german(page, 'the expired page');
    if ((await page.textContent('h1')).trim() !== de.link_expired)
      fail(`the expired page says "${await page.textContent('h1')}"`);
    if (!(await page.textContent('main')).includes(de.review_link_expired))
      fail('the expired page does not say what the reviewer can do');
    // the way forward: the business's own review form
    await Promise.all([page.waitForLoadState('load'),
      page.click(`a:text-is("${de.write_review}")`)]);
    if (!new URL(page.url()).pathname.startsWith('/review/'))
      fail(`the way forward leads to ${page.url()}`);
    if ((await page.$('form input[name=stars]')) === null)
      fail('the way forward is not a review form');
  } else {
    fail(`unknown mode ${mode}`);
  }
} finally {
  await browser.close();
}
