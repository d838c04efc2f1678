import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseUrl, demoKey } from '../e2e/helpers';
import { chromiumAvailable, collectPageErrors, launch, screenshot, signIn } from './browser';

/** The Capacity panel in Chromium against `wrangler dev` (API: `GET /api/v1/capacity`, read scope). */
const hasChromium = chromiumAvailable();

describe.skipIf(!hasChromium)('capacity panel in Chromium', () => {
  let browser: Browser;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    browser = await launch();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    errors = collectPageErrors(page);
    await signIn(page, baseUrl(), demoKey('read'));
    await page.getByRole('tab', { name: 'Capacity' }).click();
  });
  afterAll(async () => {
    await browser?.close();
  });

  const first = () => page.getByTestId('capacity-first').locator('.tile-value').textContent();

  it('answers the default workload with a first limit, a cost, the seed formula and a chart', async () => {
    await expect.poll(first, { timeout: 15_000 }).toMatch(/^[a-z0-9]+\.[a-z]+$/);
    expect(await page.getByTestId('capacity-cost').textContent()).toMatch(/\$[\d,.]+/);
    expect(await page.getByTestId('capacity-seed').textContent()).toMatch(/servers/);
    // One point per users multiple on the curve, coloured by that point's first limit.
    expect(await page.locator('[data-testid="capacity-chart"] circle').count()).toBeGreaterThanOrEqual(4);
    expect(await page.locator('[data-testid="capacity-chart"] polyline').count()).toBe(1);
  });

  it('recomputes for a million clients and names what breaks', async () => {
    await page.getByLabel('Users', { exact: true }).fill('1000000');
    await page.getByLabel('WebSocket sockets').fill('1000000');
    await page.getByLabel('Symbols', { exact: true }).fill('5000');
    await page.getByLabel('Burst multiplier').fill('10');
    await page.getByRole('button', { name: 'Compute' }).click();
    await expect.poll(() => page.getByTestId('capacity-breaks').textContent()).toContain('gateway.pushes');
    await page.getByLabel('Gateway placement').selectOption('symbol');
    await page.getByRole('button', { name: 'Compute' }).click();
    await expect
      .poll(() => page.getByTestId('capacity-breaks').textContent())
      .not.toContain('gateway.pushes');
    await screenshot(page, 'desktop-capacity');
  });

  it('shows the API’s 400 for a negative workload, naming the field', async () => {
    await page.getByLabel('Users', { exact: true }).fill('-5');
    await page.getByRole('button', { name: 'Compute' }).click();
    await expect.poll(() => page.getByTestId('capacity-result').textContent()).toMatch(/users/i);
    expect(await page.getByTestId('capacity-first').count()).toBe(0);
    expect(errors).toEqual([]);
  });
});
