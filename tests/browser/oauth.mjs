// Drives headless Chromium (Debian's) through the authorization-code
// consent page, as a business user connecting a third-party application.
//   node oauth.mjs allow BASE AUTHORIZE_PATH USERNAME PASSWORD CALLBACK
//   node oauth.mjs deny BASE AUTHORIZE_PATH CALLBACK
//   node oauth.mjs refused BASE AUTHORIZE_PATH
// allow and deny print the URL the browser was sent back to (it must
// start with CALLBACK); refused checks that the page shows an error and
// sends the browser nowhere. Exits non-zero with a message when the page
// does not do what the user expects. tests/integration/
// test_browser_oauth.py runs it.
import { fail, launch } from './chromium.mjs';

const [, , mode, base, path, ...args] = process.argv;

const browser = await launch();
try {
  const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
  const blocked = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text()))
      blocked.push(m.text());
  });
  const response = await page.goto(`${base}${path}`);
  if (mode === 'refused') {
    if (response.status() !== 400)
      fail(`a bad request answered ${response.status()}`);
    if (!page.url().startsWith(base))
      fail(`the browser left for ${page.url()}`);
    const h1 = (await page.textContent('h1')).trim();
    if (h1 !== 'This sign-in link does not work')
      fail(`the error page says "${h1}"`);
    if (await page.$('form') !== null)
      fail('the error page offers a form');
    process.exit(0);
  }
  if (response.status() !== 200)
    fail(`the consent page answered ${response.status()}`);
  const h1 = (await page.textContent('h1')).trim();
  if (!h1.startsWith('Connect '))
    fail(`the consent page says "${h1}"`);
  if (mode === 'allow') {
    const [username, password, callback] = args;
    // a wrong password first: the form comes back, still on our page
    await page.fill('#username', username);
    await page.fill('#password', 'not the password');
    await Promise.all([page.waitForLoadState('load'),
      page.click('button[value=allow]')]);
    if (!page.url().startsWith(base))
      fail(`a wrong password left for ${page.url()}`);
    const alert = await page.textContent('[role=alert]');
    if (!alert.includes('not valid'))
      fail(`a wrong password says "${alert}"`);
    await page.fill('#username', username);
    await page.fill('#password', password);
    await Promise.all([page.waitForURL(`${callback}**`),
      page.click('button[value=allow]')]);
    console.log(page.url());
  } else if (mode === 'deny') {
    const [callback] = args;
    // denying needs no sign-in
    await Promise.all([page.waitForURL(`${callback}**`),
      page.click('button[value=deny]')]);
    console.log(page.url());
  } else {
    fail(`unknown mode ${mode}`);
  }
  if (blocked.length > 0)
    fail(`the page's policy blocked: ${blocked.join('; ')}`);
} finally {
  await browser.close();
}
