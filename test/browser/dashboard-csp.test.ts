import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_CSP } from '../../platform/http/security-policy';
import { baseUrl, demoKey } from '../e2e/helpers';
import { chromiumAvailable, launch, signIn } from './browser';

const hasChromium = chromiumAvailable();

/**
 * The dashboard works under its Content-Security-Policy header: every panel renders, the stream
 * connects, and Chromium reports no policy violation (finding 8 of issue 15).
 */
describe.skipIf(!hasChromium)('dashboard under its CSP', () => {
  let browser: Browser;
  let page: Page;
  const violations: string[] = [];

  beforeAll(async () => {
    browser = await launch();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on('console', (msg) => {
      if (msg.type() === 'error' && /Content Security Policy/i.test(msg.text())) violations.push(msg.text());
    });
    await page.exposeFunction('reportCspViolation', (v: string) => violations.push(v));
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        (window as unknown as { reportCspViolation: (v: string) => void }).reportCspViolation(
          `${e.violatedDirective} blocked ${e.blockedURI}`,
        );
      });
    });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('serves the page with the CSP header', async () => {
    const res = await page.goto(`${baseUrl()}/`);
    expect(res?.headers()['content-security-policy']).toBe(DASHBOARD_CSP);
    expect(res?.headers()['x-frame-options']).toBe('DENY');
  });

  it('renders every panel and goes live on the stream without a violation', async () => {
    await signIn(page, baseUrl(), demoKey('admin'));
    await page.locator('.chart canvas').first().waitFor({ timeout: 15_000 });
    await expect
      .poll(() => page.getByTestId('stream-status').getAttribute('data-state'), { timeout: 15_000 })
      .toBe('live');
    for (const [tab, ready] of [
      [
        'Predictions',
        '[data-testid="votes"], #panel-predictions .state-unavailable, #panel-predictions .state-error',
      ],
      ['Backtests', '#panel-backtests form'],
      ['Markets', '.chart canvas'],
    ] as const) {
      await page.getByRole('tab', { name: tab }).click();
      await page.locator(ready).first().waitFor({ timeout: 45_000 });
    }
    expect(violations, violations.join('\n')).toEqual([]);
  });
});
