import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { MetricsStore } from '../../platform/metrics/store';

/**
 * `npm run release` against a stand-in `wrangler` that records its arguments (no Cloudflare
 * account exists here), a metrics server answering recorded scrapes, and a smoke target.
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const FAKE = join(ROOT, 'test/node/fixtures/fake-wrangler.mjs');
const TSX = join(ROOT, 'node_modules/tsx/dist/cli.mjs');
const OLD = '00000000-0000-4000-8000-0000000000aa';
const NEW = '00000000-0000-4000-8000-000000000001';

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

async function serve(
  handler: (path: string, headers: Record<string, unknown>) => { status: number; body: string },
) {
  const server = createServer((req, res) => {
    const r = handler(req.url ?? '/', req.headers);
    res.writeHead(r.status, { 'content-type': 'text/plain' });
    res.end(r.body);
  });
  servers.push(server);
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const addr = server.address();
  return `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
}

/** Scrapes in order: each step's window reads two; `errorsFrom` makes the new version fail from that scrape on. */
function metricsSeries(errorRatioOfNew: (scrape: number) => number) {
  const store = new MetricsStore();
  let seq = 0;
  let scrape = 0;
  return () => {
    const ratio = errorRatioOfNew(scrape++);
    for (const [version, errors] of [
      [OLD, 1],
      [NEW, Math.round(200 * ratio)],
    ] as const) {
      store.apply(
        {
          source: `src-${version}`,
          seq: ++seq,
          version,
          counters: [
            { n: 'skippy_http_requests_total', l: ['GET', '/api/v1/quotes/:symbol', '2xx'], v: 200 - errors },
            {
              n: 'skippy_http_requests_total',
              l: ['GET', '/api/v1/quotes/:symbol', '5xx'],
              v: Math.max(errors, 0) + 0,
            },
          ],
          histograms: [],
          gauges: [],
        },
        Date.now(),
      );
    }
    return { status: 200, body: store.render(Date.now()) };
  };
}

function run(dir: string, args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number; out: string; calls: string[][] }>((done) => {
    const child = spawn(process.execPath, [TSX, join(ROOT, 'scripts/release.ts'), ...args], {
      cwd: ROOT,
      env: {
        ...process.env,
        WRANGLER_BIN: FAKE,
        FAKE_WRANGLER_LOG: join(dir, 'calls.jsonl'),
        FAKE_WRANGLER_STATE: join(dir, 'wrangler.json'),
        RELEASE_STATE: join(dir, 'release.json'),
        RELEASE_WINDOW_SECONDS: '0',
        ...env,
      },
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => {
      let calls: string[][] = [];
      try {
        calls = readFileSync(join(dir, 'calls.jsonl'), 'utf8')
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l));
      } catch {}
      done({ code: code ?? 1, out, calls });
    });
  });
}

const deploys = (calls: string[][]) =>
  calls.filter((c) => c[0] === 'versions' && c[1] === 'deploy').map((c) => c.filter((a) => a.includes('@')));

function workdir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'skippy-release-'));
  mkdirSync(dir, { recursive: true });
  return dir;
}

describe('npm run release (stand-in wrangler records the calls)', () => {
  it('a full canary: upload, 5 → 25 → 50 → 100 % with the gate between steps', async () => {
    const dir = workdir();
    const metrics = metricsSeries(() => 0);
    const url = await serve(() => metrics());
    expect((await run(dir, ['upload'])).code).toBe(0);
    const r = await run(dir, ['canary'], { METRICS_URL: `${url}/metrics` });
    expect(r.code, r.out).toBe(0);
    expect(r.calls[0]).toEqual(['versions', 'upload', '--env', 'production']);
    expect(deploys(r.calls)).toEqual([
      [`${NEW}@5%`, `${OLD}@95%`],
      [`${NEW}@25%`, `${OLD}@75%`],
      [`${NEW}@50%`, `${OLD}@50%`],
      [`${NEW}@100%`],
    ]);
    expect(r.out).toContain('Promoted');
    console.log(`full canary wrangler calls:\n${r.calls.map((c) => `  wrangler ${c.join(' ')}`).join('\n')}`);
  });

  it('a failed canary rolls back on its own and names the SLO and the margin', async () => {
    const dir = workdir();
    // Healthy for the 5 % window, then 10 % of the new version's requests fail.
    const metrics = metricsSeries((scrape) => (scrape < 2 ? 0 : 0.1));
    const url = await serve(() => metrics());
    await run(dir, ['upload']);
    const r = await run(dir, ['canary'], { METRICS_URL: `${url}/metrics` });
    expect(r.code).toBe(1);
    expect(deploys(r.calls)).toEqual([
      [`${NEW}@5%`, `${OLD}@95%`],
      [`${NEW}@25%`, `${OLD}@75%`],
      [`${OLD}@100%`],
    ]);
    expect(r.out).toMatch(
      /rolled back: SLO failed: 5xx ratio of all requests 10\.00 % breaks the objective 1\.00 % by 9\.00 %/,
    );
    console.log(
      `failed canary wrangler calls:\n${r.calls.map((c) => `  wrangler ${c.join(' ')}`).join('\n')}`,
    );
  });

  it('refuses a step out of order with a clear message and no deploy call', async () => {
    const dir = workdir();
    const promote = await run(dir, ['promote']);
    expect(promote.code).toBe(1);
    expect(promote.out).toContain('No canary is running');
    expect(deploys(promote.calls)).toEqual([]);

    await run(dir, ['upload']);
    await run(dir, ['canary', '--no-gate']);
    await run(dir, ['upload']);
    const second = await run(dir, ['canary', '--no-gate']);
    expect(second.code).toBe(1);
    expect(second.out).toContain('A canary is already running');
    expect(deploys(second.calls)).toHaveLength(1);

    const fresh = workdir();
    const rollback = await run(fresh, ['rollback']);
    expect(rollback.code).toBe(1);
    expect(rollback.out).toContain('Nothing to roll back to');
    expect(deploys(rollback.calls)).toEqual([]);
  });

  it('blue-green: smoke run through the version-override header, 0 % ↔ 100 %, instant rollback', async () => {
    const dir = workdir();
    const seen: string[] = [];
    const smokeUrl = await serve((path, headers) => {
      seen.push(`${path} ${String(headers['cloudflare-workers-version-overrides'])}`);
      return { status: 200, body: JSON.stringify({ status: 'ok', workerVersion: { id: NEW } }) };
    });
    await run(dir, ['upload']);
    const sw = await run(dir, ['switch'], { SMOKE_URL: smokeUrl, SMOKE_KEY: 'sk_test' });
    expect(sw.code, sw.out).toBe(0);
    expect(seen).toEqual([
      `/api/health skippy-production="${NEW}"`,
      `/api/health/detailed skippy-production="${NEW}"`,
    ]);
    const back = await run(dir, ['rollback']);
    expect(back.code, back.out).toBe(0);
    expect(deploys(back.calls)).toEqual([
      [`${NEW}@100%`, `${OLD}@0%`],
      [`${OLD}@100%`, `${NEW}@0%`],
    ]);
    console.log(
      `blue-green wrangler calls:\n${back.calls.map((c) => `  wrangler ${c.join(' ')}`).join('\n')}`,
    );
  });

  it('a failed smoke run deploys nothing', async () => {
    const dir = workdir();
    const smokeUrl = await serve(() => ({ status: 503, body: '{}' }));
    await run(dir, ['upload']);
    const sw = await run(dir, ['switch'], { SMOKE_URL: smokeUrl });
    expect(sw.code).toBe(1);
    expect(sw.out).toContain('nothing deployed');
    expect(deploys(sw.calls)).toEqual([]);
  });
});

describe('wrangler versions upload --dry-run (the real wrangler, offline)', () => {
  it('bundles the Worker and checks its configuration for production', () => {
    const dir = workdir();
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'assets/index.html'), '<!doctype html><title>Skippy</title>');
    const r = spawnSync(
      join(ROOT, 'node_modules/.bin/wrangler'),
      [
        'versions',
        'upload',
        '--dry-run',
        '--env',
        'production',
        '--assets',
        join(dir, 'assets'),
        '--outdir',
        join(dir, 'out'),
      ],
      {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
        timeout: 120_000,
      },
    );
    const out = `${r.stdout}${r.stderr}`;
    expect(r.status, out).toBe(0);
    expect(out).toContain('--dry-run: exiting now.');
    expect(out).toContain('env.CF_VERSION_METADATA');
  });
});
