// What every browser driver here shares: Debian's chromium, headless,
// offline (no first-run, sync or update traffic), and the one way a
// driver says that a page failed.
import { chromium } from 'playwright-core';

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic',
      '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}

export function fail(message) {
  console.error('browser: ' + message);
  process.exit(1);
}
