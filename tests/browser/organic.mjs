// Drives headless Chromium (Debian's) through the organic review pages.
//   node organic.mjs submit BASE DOMAIN EMAIL
//   node organic.mjs confirm BASE CONFIRM_PATH SCREENSHOT
//   node organic.mjs invitation BASE LINK_PATH NAME THANKS
//   node organic.mjs find-reviewer BASE LINK_PATH REFERENCE
//   node organic.mjs closed BASE LINK_PATH STATUS TEXT
//   node organic.mjs picker BASE DOMAIN
//   node organic.mjs overflow BASE PATH...
//   node organic.mjs axe BASE PATH...
// Exits non-zero with a message when the page does not do what a reviewer
// expects. The pytest test tests/integration/test_browser.py runs it.
import { fail, launch } from './chromium.mjs';

const [, , mode, base, ...args] = process.argv;

const browser = await launch();
try {
  // a phone-sized window: the pages must work there
  const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
  if (mode === 'submit') {
    const [domain, email] = args;
    await page.goto(`${base}/review/${domain}`);
    // a reviewer clicks the fourth star
    await page.click('label[for="stars-4"]');
    await page.fill('#title', 'Lovely teapot');
    await page.fill('#text', 'Arrived quickly <and> intact.');
    await page.fill('#name', 'Browser Tester');
    await page.fill('#email', email);
    await Promise.all([page.waitForLoadState('load'),
      page.click('button[type=submit]')]);
    await page.waitForSelector('h1');
    const h1 = (await page.textContent('h1')).trim();
    if (h1 !== 'Check your e-mail')
      fail(`after submitting, the page says "${h1}"`);
  } else if (mode === 'confirm') {
    const [path, screenshot] = args;
    const response = await page.goto(`${base}${path}`);
    if (response.status() !== 200)
      fail(`the confirmation link answered ${response.status()}`);
    // opening the link only asks: a mail scanner must publish nothing
    if ((await page.textContent('h1')).trim() !== 'Publish your review')
      fail('the confirmation link does not ask before publishing');
    await Promise.all([page.waitForLoadState('load'),
      page.click('button[type=submit]')]);
    if ((await page.textContent('h1')).trim() !== 'Thank you')
      fail('the confirmation page does not thank the reviewer');
    await Promise.all([page.waitForLoadState('load'),
      page.click('text=See it on the page')]);
    const article = await page.textContent('article');
    if (!article.includes('Lovely teapot') ||
        !article.includes('Arrived quickly <and> intact.') ||
        !article.includes('Browser Tester'))
      fail(`the profile does not show the review: ${article}`);
    const stars = await page.getAttribute('article .stars', 'aria-label');
    if (stars !== '4 of 5 stars')
      fail(`the review shows "${stars}"`);
    const wide = await page.evaluate(() =>
      document.documentElement.scrollWidth > window.innerWidth);
    if (wide)
      fail('the profile scrolls sideways on a phone');
    await page.screenshot({ path: screenshot, fullPage: true });
  } else if (mode === 'invitation') {
    // a personal invitation link: the form greets the customer by name
    const [path, name, thanks] = args;
    const response = await page.goto(`${base}${path}`);
    if (response.status() !== 200)
      fail(`the invitation link answered ${response.status()}`);
    if (!(await page.textContent('main')).includes(` ${name},`))
      fail('the invitation form does not greet the customer');
    await page.click('label[for="stars-5"]');
    await page.fill('#title', 'Invited and happy');
    await page.fill('#text', 'The parcel came on time.');
    await Promise.all([page.waitForLoadState('load'),
      page.click('button[type=submit]')]);
    await page.waitForSelector('h1');
    const h1 = (await page.textContent('h1')).trim();
    if (h1 !== thanks)
      fail(`after submitting, the page says "${h1}": ${await page.textContent('main')}`);
    const again = await page.goto(`${base}${path}`);
    if (again.status() !== 200 || (await page.textContent('h1')).trim() !== thanks)
      fail('opening the link again does not show the published review');
  } else if (mode === 'find-reviewer') {
    // the reviewer answers a business's question, then the link is closed
    const [path, reference] = args;
    const response = await page.goto(`${base}${path}`);
    if (response.status() !== 200)
      fail(`the reply link answered ${response.status()}`);
    if (!(await page.textContent('main')).includes('asks about your review'))
      fail('the reply page does not show the question');
    await page.fill('#message', 'I bought it in the shop in Aarhus.');
    await page.fill('#referenceId', reference);
    await Promise.all([page.waitForLoadState('load'),
      page.click('button:not([name=decline])')]);
    await page.waitForSelector('h1');
    if ((await page.textContent('h1')).trim() !== 'Thank you')
      fail(`after answering, the page says "${await page.textContent('main')}"`);
    await page.goto(`${base}${path}`);
    if (!(await page.textContent('main')).includes('answer was sent'))
      fail('the link is not closed after the answer');
  } else if (mode === 'closed') {
    // a link whose request is over shows that, and no form
    const [path, status, text] = args;
    const response = await page.goto(`${base}${path}`);
    if (response.status() !== Number(status))
      fail(`the closed link answered ${response.status()}`);
    if (!(await page.textContent('main')).includes(text))
      fail(`the closed page does not say "${text}"`);
    if ((await page.$('form')) !== null)
      fail('a closed link still shows a form');
  } else if (mode === 'picker') {
    // the star picker by keyboard alone: Tab to it, arrows move, the
    // word follows, and a screen reader hears "n stars"
    const [domain] = args;
    await page.goto(`${base}/review/${domain}`);
    for (let i = 0; i < 20; i++) {
      await page.keyboard.press('Tab');
      const name = await page.evaluate(() => document.activeElement.name);
      if (name === 'stars')
        break;
    }
    if (await page.evaluate(() => document.activeElement.name) !== 'stars')
      fail('Tab never reaches the star picker');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    const checked = await page.$eval('input[name=stars]:checked', e => e.value);
    const word = await page.evaluate(() => [...document.querySelectorAll(
      '.picker .word span')].filter(e => e.offsetParent !== null)
      .map(e => e.textContent).join());
    if (checked !== '3' || word !== 'Average')
      fail(`after two arrows the picker holds ${checked} "${word}"`);
    const lit = await page.$$eval('.picker label', ls => ls.map(l =>
      getComputedStyle(l).color));
    if (lit[0] !== lit[2] || lit[2] === lit[3] || lit[3] !== lit[4])
      fail(`the stars lit are not the first three: ${lit}`);
    const spoken = await page.$eval('label[for="stars-3"]', l =>
      l.textContent);
    if (!spoken.includes('3 stars'))
      fail(`the third star reads "${spoken}"`);
    await page.keyboard.press('ArrowLeft');
    if (await page.$eval('input[name=stars]:checked', e => e.value) !== '2')
      fail('ArrowLeft does not go down a star');
  } else if (mode === 'profile') {
    // the profile of args[0] (more than one page of reviews) at a phone's
    // and a desktop's width: the summary with its five bars, the filters
    // and the numbered pages are shown, and the page fits
    for (const width of [390, 1280]) {
      await page.setViewportSize({ width, height: 844 });
      await page.goto(`${base}/b/${args[0]}`);
      const seen = async sel => (await page.$$(sel)).length > 0 &&
        await page.isVisible(sel);
      for (const sel of ['.score', '.dist', '.filters a', 'nav.pages a'])
        if (!await seen(sel))
          fail(`${sel} is not shown at ${width} px`);
      const bars = await page.$$eval('.dist .bar', b => b.length);
      if (bars !== 5)
        fail(`${bars} star bars at ${width} px`);
      await page.click('nav.pages a >> text="2"');
      if (!page.url().includes('page=2'))
        fail(`page 2 of the numbered pages opens ${page.url()}`);
      if (await page.$$eval('article', a => a.length) < 1)
        fail('page 2 shows no review');
      const wide = await page.evaluate(() =>
        document.documentElement.scrollWidth > window.innerWidth);
      if (wide)
        fail(`the profile scrolls sideways at ${width} px`);
    }
  } else if (mode === 'overflow') {
    // at a phone's and a desktop's width nothing makes a page scroll
    // sideways (a long word in a review included)
    for (const width of [390, 1280]) {
      await page.setViewportSize({ width, height: 844 });
      for (const path of args) {
        await page.goto(`${base}${path}`);
        const wide = await page.evaluate(() =>
          document.documentElement.scrollWidth > window.innerWidth);
        if (wide)
          fail(`${path} scrolls sideways at ${width} px`);
      }
    }
  } else if (mode === 'axe') {
    // axe-core's accessibility rules on each page, at a phone's and a
    // desktop's width: no serious or critical violation
    const axe = new URL('./node_modules/axe-core/axe.min.js',
      import.meta.url).pathname;
    const found = [];
    // the pages forbid scripts (CSP): axe is let in for the check only
    const context = await browser.newContext({ bypassCSP: true });
    const checked = await context.newPage();
    for (const width of [390, 1280]) {
      await checked.setViewportSize({ width, height: 844 });
      for (const path of args) {
        await checked.goto(`${base}${path}`);
        await checked.addScriptTag({ path: axe });
        const violations = await checked.evaluate(async () =>
          (await window.axe.run(document, { resultTypes: ['violations'] }))
            .violations.filter(v => v.impact === 'serious' ||
              v.impact === 'critical')
            .map(v => `${v.id} (${v.impact}): ${v.nodes.map(n =>
              n.target.join(' ')).slice(0, 3).join(', ')}`));
        for (const v of violations)
          found.push(`${path} at ${width} px: ${v}`);
      }
    }
    if (found.length > 0)
      fail(`accessibility:\n${found.join('\n')}`);
  } else {
    fail(`unknown mode ${mode}`);
  }
} finally {
  await browser.close();
}
