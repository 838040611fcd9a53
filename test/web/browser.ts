/**
 * Browser helpers for the web tests: Debian's Chromium (/usr/bin/chromium) driven by playwright-core,
 * never a downloaded browser. Tests skip, saying why, only when that binary is absent.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`web browser tests skipped: ${CHROMIUM} is absent (install Debian's chromium package; .ci/run does)`);

export const ARTIFACTS = resolve(import.meta.dirname, '../../test-artifacts/web');

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
}

/** Logs the page in through the /login form. */
export async function logIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(`${url}/login`);
  await page.fill('#token', token);
  await Promise.all([page.waitForURL(`${url}/`), page.click('button[type=submit]')]);
}

/** Writes a full-page screenshot and returns how much wider than the viewport the page is (0: fits). */
export async function shoot(page: Page, name: string): Promise<number> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const width = page.viewportSize()!.width;
  await page.screenshot({ path: resolve(ARTIFACTS, `${name}-${width}.png`), fullPage: true });
  const scroll = await page.evaluate(() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth));
  return Math.max(0, scroll - width);
}
