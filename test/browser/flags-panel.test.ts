import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { rolloutBucket } from '../../platform/flags/hash';
import { baseUrl, call, demoKey } from '../e2e/helpers';
import { chromiumAvailable, collectPageErrors, launch, screenshot, signIn } from './browser';

/**
 * The feature flags card (Operations tab) against `wrangler dev`: `GET /api/v1/flags` for the
 * signed-in key, changed through `PUT /api/v1/admin/flags/{key}`. Local dev turns
 * `backtests.strategy.prediction` on for every key (`FLAG_DEFAULTS` in wrangler.toml); the test
 * turns it off, then rolls it out to one demo key and not the other, and puts it back after.
 */
const hasChromium = chromiumAvailable();
const FLAG = 'backtests.strategy.prediction';

interface FlagState {
  enabled: boolean;
  variant: string;
  rollout: number;
}

async function putFlag(key: string, state: FlagState): Promise<void> {
  const res = await call(`/api/v1/admin/flags/${key}`, {
    method: 'PUT',
    key: demoKey('admin'),
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(state),
  });
  expect(res.status, await res.clone().text()).toBe(200);
}

const keyId = (scope: 'read' | 'admin') => {
  const k = inject('keys').find((x) => x.scopes.includes(scope));
  if (!k) throw new Error(`no demo key with scope ${scope}`);
  return k.id;
};

const flagRow = (page: Page, key: string) => page.locator(`[data-testid="flags"] tr[data-flag="${key}"]`);

async function openFlags(page: Page): Promise<void> {
  await page.getByRole('tab', { name: 'Operations' }).click();
  await page.locator('[data-testid="flags"] table.flags tbody tr').first().waitFor({ timeout: 20_000 });
}

/** The row's state, re-reading the flags (the button) until it matches: the server re-reads D1 every FLAGS_REFRESH_MS. */
async function expectFlagOn(page: Page, key: string, on: boolean): Promise<void> {
  await expect
    .poll(
      async () => {
        await page.getByRole('button', { name: 'Reload flags' }).click();
        await page.locator('[data-testid="flags"] table.flags').waitFor({ timeout: 10_000 });
        return flagRow(page, key).getAttribute('data-on');
      },
      { timeout: 20_000, interval: 500 },
    )
    .toBe(String(on));
}

describe.skipIf(!hasChromium)('feature flags panel in Chromium', () => {
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];
  let original: FlagState | null = null;

  beforeAll(async () => {
    const res = await call(`/api/v1/admin/flags/${FLAG}`, { key: demoKey('admin') });
    expect(res.status).toBe(200);
    original = (await res.json()).state as FlagState;
    browser = await launch();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    errors = collectPageErrors(page);
  });
  afterAll(async () => {
    if (original) await putFlag(FLAG, original);
    await context?.close();
    await browser?.close();
  });

  it("lists every flag with the key's state, variant and description", async () => {
    await signIn(page, baseUrl(), demoKey('read'));
    await openFlags(page);
    const api = (await (await call('/api/v1/flags', { key: demoKey('read') })).json()).data as Array<{
      key: string;
      description: string;
      value: boolean | string;
      variant: string;
    }>;
    expect(api.length).toBeGreaterThanOrEqual(4);
    expect(await page.locator('[data-testid="flags"] tbody tr').count()).toBe(api.length);
    for (const f of api) {
      const row = flagRow(page, f.key);
      expect(await row.locator('[data-field="variant"]').textContent()).toBe(f.variant);
      expect(await row.locator('th').textContent()).toContain(f.description);
      if (typeof f.value === 'boolean') expect(await row.getAttribute('data-on')).toBe(String(f.value));
    }
    // wrangler.toml's FLAG_DEFAULTS turns the prediction strategy on locally; sweeps default to on.
    expect(await flagRow(page, FLAG).getAttribute('data-on')).toBe('true');
    expect(await flagRow(page, FLAG).locator('[data-field="state"]').textContent()).toBe('on');
    expect(await flagRow(page, FLAG).locator('[data-field="variant"]').textContent()).toBe('on');
    expect(await flagRow(page, 'backtests.execution').locator('[data-field="variant"]').textContent()).toBe(
      'auto',
    );
    await screenshot(page, 'desktop-flags');
  });

  it('reflects a flag turned off through the admin API, and keeps it after a reload', async () => {
    await putFlag(FLAG, { enabled: false, variant: 'on', rollout: 0 });
    await expectFlagOn(page, FLAG, false);
    expect(await flagRow(page, FLAG).locator('[data-field="state"]').textContent()).toBe('off');
    expect(await flagRow(page, FLAG).locator('[data-field="variant"]').textContent()).toBe('off');
    expect(await flagRow(page, FLAG).locator('[data-field="why"]').textContent()).toContain('flag disabled');

    await page.reload();
    await openFlags(page);
    expect(await flagRow(page, FLAG).getAttribute('data-on')).toBe('false');
    await screenshot(page, 'desktop-flags-off');
  });

  it('shows the flags of the key signed in, after a change of key', async () => {
    // A rollout that holds exactly one of the two keys: the one with the lower bucket.
    const read = rolloutBucket(FLAG, keyId('read'));
    const admin = rolloutBucket(FLAG, keyId('admin'));
    const split = read !== admin;
    const rollout = split ? Math.max(read, admin) / 100 : 100;
    await putFlag(FLAG, { enabled: true, variant: 'on', rollout });
    const readOn = !split || read < admin;
    await expectFlagOn(page, FLAG, readOn);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, baseUrl(), demoKey('admin'));
    await openFlags(page);
    await expectFlagOn(page, FLAG, !split || admin < read);
    if (split) {
      expect(readOn).not.toBe(!split || admin < read);
      expect(await flagRow(page, FLAG).locator('[data-field="why"]').textContent()).toBe(
        'percentage rollout',
      );
    }
    await screenshot(page, 'desktop-flags-admin-key');
    expect(errors).toEqual([]);
  });
});
