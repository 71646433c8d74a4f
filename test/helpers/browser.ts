/**
 * Headless Chromium for browser tests: Debian's `/usr/bin/chromium` driven by playwright-core.
 * Without it the tests skip and say why, unless `PUSHLAB_REQUIRE_BROWSER=1` (CI), where they fail.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** The Chromium binary. Default `/usr/bin/chromium` (Debian's package). */
export const chromiumPath = '/usr/bin/chromium';

/** Flags for a quiet headless Chromium that touches no network of its own. */
export const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Why browser tests cannot run here, or undefined when they can. Throws when Chromium is
 * missing and `PUSHLAB_REQUIRE_BROWSER=1`, so CI cannot pass by skipping.
 */
export function browserSkipReason(): string | undefined {
  if (existsSync(chromiumPath)) return undefined;
  const reason = `${chromiumPath} not found: browser tests skipped (install it with \`apt-get install chromium\`)`;
  if (process.env.PUSHLAB_REQUIRE_BROWSER === '1') throw new Error(`${reason}; PUSHLAB_REQUIRE_BROWSER=1 requires it`);
  console.warn(reason);
  return reason;
}

/** Launches headless Chromium; the caller closes it. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
}
