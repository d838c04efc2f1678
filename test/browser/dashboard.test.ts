import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseUrl, call, demoKey } from '../e2e/helpers';
import { chromiumAvailable, collectPageErrors, launch, priceText, screenshot, signIn } from './browser';

/**
 * The dashboard in a real browser against `wrangler dev`. API dependencies per step (for
 * re-running at integration): ticks — ingest + quotes (polling) or the stream (ticket + WebSocket);
 * predictions — `/api/v1/predictions/:symbol` and `/evaluation`; backtests — `/api/v1/backtests*`;
 * operations — `/api/health/detailed` and `/metrics`.
 */
const hasChromium = chromiumAvailable();

async function publishTrade(symbol: string, price: number): Promise<void> {
  const ts = Date.now();
  const res = await call('/api/v1/ingest/ticks', {
    method: 'POST',
    key: demoKey('ingest'),
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      ticks: [{ type: 'trade', symbol, sourceId: `browser-${ts}-${Math.random()}`, ts, price, size: 3 }],
    }),
  });
  expect(res.status).toBe(200);
}

/** The live last price, or the last daily close before any tick arrived (the quote is then 404). */
async function lastPrice(symbol: string): Promise<number> {
  const quote = await call(`/api/v1/quotes/${encodeURIComponent(symbol)}`, { key: demoKey('read') });
  if (quote.ok) return (await quote.json()).data.last;
  const bars = await (
    await call(`/api/v1/bars/${encodeURIComponent(symbol)}?timeframe=1d&limit=1`, { key: demoKey('read') })
  ).json();
  return bars.data[0].c;
}

const row = (page: Page, symbol: string) => page.locator(`table.watchlist tr[data-symbol="${symbol}"]`);

describe.skipIf(!hasChromium)('dashboard in Chromium', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  describe('desktop, 1280 px', () => {
    let context: BrowserContext;
    let page: Page;
    let errors: string[];

    beforeAll(async () => {
      context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      page = await context.newPage();
      errors = collectPageErrors(page);
    });
    afterAll(async () => {
      await context?.close();
    });

    it('rejects a bad key with a clear message', async () => {
      await page.goto(`${baseUrl()}/`);
      await page.getByLabel('API key').fill('sk_not_a_real_key_000000');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await expect.poll(() => page.locator('#sign-in-error').textContent()).toContain('rejected');
      await screenshot(page, 'desktop-sign-in-rejected');
    });

    it('signs in, keeps the key in sessionStorage only and lists the watchlist', async () => {
      await signIn(page, baseUrl(), demoKey('admin'));
      expect(await row(page, 'AAPL').count()).toBe(1);
      expect(await page.locator('table.watchlist tbody tr').count()).toBeGreaterThanOrEqual(10);
      const storage = await page.evaluate(() => ({
        session: sessionStorage.length,
        local: localStorage.length,
        url: location.href,
      }));
      expect(storage.session).toBe(1);
      expect(storage.local).toBe(0);
      expect(storage.url).not.toContain('sk_');
      await page.locator('.chart canvas').first().waitFor({ timeout: 15_000 });
      await expect.poll(() => page.locator('.chart').getAttribute('data-bars')).not.toBeNull();
      await screenshot(page, 'desktop-markets');
    });

    it('shows published ticks arriving in the watchlist and the selected quote', async () => {
      const symbol = 'NVDA';
      const price = Math.round((await lastPrice(symbol)) * 1.013 * 100) / 100;
      await publishTrade(symbol, price);
      await expect
        .poll(() => row(page, symbol).locator('[data-field="last"]').textContent(), { timeout: 20_000 })
        .toBe(priceText(price));
      const next = Math.round(price * 0.995 * 100) / 100;
      await publishTrade(symbol, next);
      await expect
        .poll(() => row(page, symbol).locator('[data-field="last"]').textContent(), { timeout: 20_000 })
        .toBe(priceText(next));
      await screenshot(page, 'desktop-ticks');
    });

    // Depends on the stream (ticket + WebSocket) accepting the dashboard's own Origin; without it
    // the ticks above still arrive through quote polling and the pill says "Reconnecting".
    it('receives them over the live stream', async () => {
      const pill = page.getByTestId('stream-status');
      await expect
        .poll(() => pill.getAttribute('data-state'), { timeout: 15_000 })
        .toBe('live')
        .catch(async (err) => {
          throw new Error(`stream not live: ${await pill.getAttribute('title')}`, { cause: err });
        });
      const symbol = 'TSLA';
      const price = Math.round((await lastPrice(symbol)) * 1.021 * 100) / 100;
      await publishTrade(symbol, price);
      // Well inside the 5 s polling interval: only the stream is this quick.
      await expect
        .poll(() => row(page, symbol).locator('[data-field="last"]').textContent(), { timeout: 3_000 })
        .toBe(priceText(price));
    });

    it('switches symbol and timeframe', async () => {
      await row(page, 'MSFT').getByRole('button', { name: 'MSFT' }).click();
      await expect.poll(() => page.locator('#chart-title').textContent()).toContain('MSFT');
      expect(await row(page, 'MSFT').getByRole('button').getAttribute('aria-pressed')).toBe('true');
      await page.getByRole('button', { name: '1d', exact: true }).click();
      await expect.poll(() => page.locator('#chart-title').textContent()).toBe('MSFT · 1d');
      await expect
        .poll(async () => Number(await page.locator('.chart').getAttribute('data-bars')))
        .toBeGreaterThan(100);
      // Charts are loaded lazily: the candle chart is its own chunk.
      const scripts = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name));
      expect(scripts.some((s) => /candle-chart/.test(s))).toBe(true);
      await screenshot(page, 'desktop-msft-1d');
    });

    // Depends on GET /api/v1/predictions/:symbol and /evaluation (mounted in workers/app.ts).
    it('shows the prediction with each agent vote and the evaluation', async () => {
      await page.getByRole('tab', { name: 'Predictions' }).click();
      await page.getByTestId('votes').waitFor({ timeout: 45_000 });
      expect(await page.getByTestId('votes').locator('tbody tr').count()).toBeGreaterThanOrEqual(3);
      await page.getByTestId('evaluation').waitFor({ timeout: 30_000 });
      expect(await page.getByTestId('evaluation').textContent()).toContain('Ensemble');
      await screenshot(page, 'desktop-predictions');
    });

    // Depends on POST /api/v1/backtests, GET /api/v1/backtests/:id, /trades, /equity and the list.
    it('runs a backtest and reads its statistics', async () => {
      await page.getByRole('tab', { name: 'Backtests' }).click();
      await page.getByLabel('Symbol', { exact: true }).last().selectOption('AAPL');
      await page.getByLabel('Strategy').selectOption('sma-cross');
      await page.getByRole('button', { name: 'Run backtest' }).click();
      const stats = page.getByTestId('backtest-stats');
      const ended = page.locator(
        '[data-testid="backtest-stats"], [data-testid="backtest-status"] :is(.state-unavailable, .state-error)',
      );
      await ended.first().waitFor({ timeout: 50_000 });
      await screenshot(page, 'desktop-backtest');
      expect(
        await stats.count(),
        `backtest ended with: ${await page.getByTestId('backtest-status').textContent()}`,
      ).toBe(1);
      expect(await stats.locator('tr[data-stat="Return [%]"] td').textContent()).toMatch(/-?\d/);
      expect(await stats.locator('tr[data-stat="# Trades"]').count()).toBe(1);
      await page.locator('.equity-chart canvas').first().waitFor({ timeout: 15_000 });
      await page.getByTestId('past-runs').waitFor({ timeout: 15_000 });
      await screenshot(page, 'desktop-backtest');
    });

    // Health needs only /api/health/detailed; the tiles and routes need GET /metrics.
    it('opens the operations panel with health checks and platform metrics', async () => {
      await page.getByRole('tab', { name: 'Operations' }).click();
      await page.locator('[data-testid="ops-health"] [data-check="d1"]').waitFor({ timeout: 20_000 });
      await page
        .locator(
          '[data-testid="ops-rate"], [data-testid="ops-metrics"] :is(.state-unavailable, .state-error)',
        )
        .first()
        .waitFor({ timeout: 20_000 });
      await screenshot(page, 'desktop-operations');
      expect(
        await page.getByTestId('ops-rate').count(),
        `metrics: ${await page.getByTestId('ops-metrics').textContent()}`,
      ).toBe(1);
      await expect.poll(() => page.getByTestId('ops-rate').textContent(), { timeout: 15_000 }).toMatch(/\/s/);
      expect(await page.getByTestId('ops-routes').locator('tbody tr').count()).toBeGreaterThan(0);
      // Nothing is shed in this run, and the platform's fixed limit (12 locally) shows.
      await expect
        .poll(() => page.getByTestId('ops-shed').textContent(), { timeout: 15_000 })
        .toMatch(/0(\.0+)?\s?%.*tightest limit 12 in flight/);
      await screenshot(page, 'desktop-operations');
      expect(errors).toEqual([]);
    });
  });

  describe('phone, 390 px', () => {
    let context: BrowserContext;
    let page: Page;

    beforeAll(async () => {
      context = await browser.newContext({
        viewport: { width: 390, height: 844 },
        isMobile: true,
        hasTouch: true,
        deviceScaleFactor: 2,
      });
      page = await context.newPage();
    });
    afterAll(async () => {
      await context?.close();
    });

    it('fits the screen and is usable by keyboard', async () => {
      await signIn(page, baseUrl(), demoKey('read'));
      await page.locator('.chart canvas').first().waitFor({ timeout: 15_000 });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(1);
      await screenshot(page, 'phone-markets');

      await page.getByRole('tab', { name: 'Markets' }).focus();
      await page.keyboard.press('ArrowRight');
      expect(await page.getByRole('tab', { name: 'Predictions' }).getAttribute('aria-selected')).toBe('true');
      await page.keyboard.press('End');
      expect(await page.getByRole('tab', { name: 'Operations' }).getAttribute('aria-selected')).toBe('true');
      expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Operations');
    });

    it('explains that platform metrics need an admin key', async () => {
      await expect
        .poll(() => page.getByTestId('ops-metrics').textContent(), { timeout: 15_000 })
        .toContain('admin key');
      await page.locator('[data-testid="ops-health"] [data-check="d1"]').waitFor({ timeout: 20_000 });
      await screenshot(page, 'phone-operations');
    });

    it('shows a clear state when the server cannot be reached, and recovers', async () => {
      const banner = page.locator('.banner');
      await page.route('**/api/**', (route) => route.abort('connectionrefused'));
      await page.route('**/metrics', (route) => route.abort('connectionrefused'));
      try {
        // Let requests already in flight land first: their answers would count as "reachable".
        await page.waitForTimeout(1_500);
        await page.getByRole('button', { name: 'Refresh' }).click();
        await expect.poll(() => banner.isVisible(), { timeout: 10_000 }).toBe(true);
        expect(await banner.textContent()).toContain('Cannot reach the server');
        await screenshot(page, 'phone-server-down');
      } finally {
        await page.unrouteAll();
      }
      await page.getByRole('button', { name: 'Refresh' }).click();
      await expect.poll(() => banner.isHidden(), { timeout: 10_000 }).toBe(true);
    });

    // Predictions and backtests need their routes; the layout check is the point here.
    it('lays out every panel within the phone width', async () => {
      for (const [tab, ready] of [
        [
          'Predictions',
          '[data-testid="votes"], #panel-predictions .state-unavailable, #panel-predictions .state-error',
        ],
        ['Backtests', '#panel-backtests form'],
        ['Capacity', '[data-testid="capacity-chart"]'],
        ['Markets', '.chart canvas'],
      ] as const) {
        await page.getByRole('tab', { name: tab }).click();
        await page.locator(ready).first().waitFor({ timeout: 45_000 });
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow, `${tab} overflows by ${overflow}px`).toBeLessThanOrEqual(1);
        await screenshot(page, `phone-${tab.toLowerCase()}`);
      }
    });

    it('returns to sign-in when the key is rejected', async () => {
      await page.evaluate(() => sessionStorage.setItem('skippy.apiKey', 'sk_revoked_key_0000000000'));
      await page.reload();
      await expect
        .poll(() => page.locator('#sign-in-error').textContent(), { timeout: 15_000 })
        .toContain('rejected');
      expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
      await screenshot(page, 'phone-key-rejected');
    });
  });
});
