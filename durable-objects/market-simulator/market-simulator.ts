import { DurableObject } from 'cloudflare:workers';
import { CATALOG } from '../../engine/market/catalog';
import { isOpen } from '../../engine/market/sessions';
import { TickGenerator } from '../../engine/market/tick-generator';
import { config } from '../../platform/config';
import { createLogger } from '../../platform/logger';
import { reportBackgroundError } from '../../platform/sentry';
import type { Tick } from '../../schema/contracts/ingest';
import { roomFor } from '../symbol-room/client';

const STEP_MS = 500;

/**
 * The built-in feed: one object (`idFromName('default')`) that, while running, wakes by alarm every
 * STEP_MS, draws ticks for every instrument in session and hands them to the symbols' rooms
 * exactly as the ingest endpoint would. Start prices come from the last stored bar, so the live
 * market continues the seeded history.
 */
export class MarketSimulator extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    config(env); // a wrong variable fails the object loudly, naming it (platform/config.ts)
  }

  #generators = new Map<string, TickGenerator>();
  #lastStep = 0;
  #log = createLogger({ object: 'MarketSimulator' });

  /** Starts (or keeps) the feed; idempotent. */
  async start(): Promise<{ running: true }> {
    await this.ctx.storage.put('running', true);
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + STEP_MS);
    return { running: true };
  }

  async stop(): Promise<{ running: false }> {
    await this.ctx.storage.put('running', false);
    await this.ctx.storage.deleteAlarm();
    return { running: false };
  }

  async status(): Promise<{ running: boolean; symbols: number }> {
    return {
      running: (await this.ctx.storage.get<boolean>('running')) === true,
      symbols: this.#generators.size,
    };
  }

  override async alarm(): Promise<void> {
    if ((await this.ctx.storage.get<boolean>('running')) !== true || !config(this.env).SIMULATOR_ENABLED)
      return;
    const now = Date.now();
    // After a long sleep (laptop lid closed), do not replay hours of ticks: resume from now.
    const from = this.#lastStep > 0 && now - this.#lastStep < 10_000 ? this.#lastStep : now - STEP_MS;
    this.#lastStep = now;
    try {
      await this.#ensureGenerators();
      const alwaysOpen = config(this.env).SIMULATOR_ALWAYS_OPEN;
      await Promise.all(
        CATALOG.map(async (spec) => {
          if (!alwaysOpen && !isOpen(spec, now)) return;
          const gen = this.#generators.get(spec.symbol);
          if (!gen) return;
          const ticks = gen.advance(from, now, spec.assetClass === 'crypto' ? 3 : 2) as Tick[];
          if (ticks.length === 0) return;
          const result = await roomFor(this.env, spec.symbol).ingest(spec.symbol, ticks);
          // The generator stays inside the ingest bounds; a refusal means they and it disagree.
          if (result.rejected > 0)
            this.#log.warn('simulated ticks refused', { symbol: spec.symbol, first: result.rejections[0] });
        }),
      );
    } catch (err) {
      this.#log.warn('simulator step failed', { error: String(err) });
      reportBackgroundError(this.env, err, {
        component: 'market-simulator',
        name: 'alarm',
        waitUntil: (p) => this.ctx.waitUntil(p),
      });
    } finally {
      await this.ctx.storage.setAlarm(Date.now() + STEP_MS);
    }
  }

  async #ensureGenerators(): Promise<void> {
    if (this.#generators.size === CATALOG.length) return;
    const runId = (await this.ctx.storage.get<string>('runId')) ?? crypto.randomUUID().slice(0, 8);
    await this.ctx.storage.put('runId', runId);
    // Each wake-up of the object gets its own source-id space so ids never collide with an earlier run.
    const epoch = ((await this.ctx.storage.get<number>('epoch')) ?? 0) + 1;
    await this.ctx.storage.put('epoch', epoch);
    const last = await this.env.DB.prepare(
      `SELECT b.symbol AS symbol, b.close AS close FROM bars b
       JOIN (SELECT symbol, MAX(ts) AS ts FROM bars WHERE timeframe = '1m' GROUP BY symbol) m
         ON b.symbol = m.symbol AND b.ts = m.ts AND b.timeframe = '1m'`,
    ).all<{ symbol: string; close: number }>();
    const closes = new Map(last.results.map((r) => [r.symbol, r.close]));
    for (const spec of CATALOG) {
      const price = closes.get(spec.symbol) ?? spec.price;
      this.#generators.set(
        spec.symbol,
        new TickGenerator(spec, price, Date.now() & 0xffffffff, `sim${runId}e${epoch}`),
      );
    }
  }
}
