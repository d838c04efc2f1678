import { describe, expect, it } from 'vitest';
import { API_CSP, DASHBOARD_CSP, SECURITY_HEADERS } from '../../platform/http/security-policy';
import { baseUrl } from './helpers';

/** Every response, page or API, carries the shared security headers (finding 8 of issue 15). */
function expectCommonHeaders(res: Response, what: string): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS))
    expect(res.headers.get(name), `${name} on ${what}`).toBe(value);
}

describe('security headers on the dashboard and its assets (wrangler dev applies _headers)', () => {
  it('the dashboard page, a script asset and an unknown SPA path carry the headers and the dashboard CSP', async () => {
    const page = await fetch(`${baseUrl()}/`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expectCommonHeaders(page, '/');
    expect(page.headers.get('content-security-policy')).toBe(DASHBOARD_CSP);

    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script, 'index.html references a script asset').toBeDefined();
    const asset = await fetch(`${baseUrl()}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toContain('javascript');
    await asset.arrayBuffer();
    expectCommonHeaders(asset, script ?? 'asset');
    expect(asset.headers.get('content-security-policy')).toBe(DASHBOARD_CSP);

    const spa = await fetch(`${baseUrl()}/markets/some/deep/link`);
    expect(spa.status).toBe(200);
    expect(await spa.text()).toContain('<div id="app">');
    expectCommonHeaders(spa, 'an SPA path');
    expect(spa.headers.get('content-security-policy')).toBe(DASHBOARD_CSP);
  });

  it('the API answers carry the same headers, with a CSP that allows no content', async () => {
    for (const path of ['/api/health', '/api/v1/symbols', '/api/v1/no-such-route']) {
      const res = await fetch(`${baseUrl()}${path}`);
      await res.arrayBuffer();
      expectCommonHeaders(res, path);
      expect(res.headers.get('content-security-policy')).toBe(API_CSP);
    }
  });

  it('the _headers file itself is not served as an asset', async () => {
    const res = await fetch(`${baseUrl()}/_headers`);
    expect(await res.text()).not.toContain('content-security-policy:');
  });
});
