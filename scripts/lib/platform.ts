import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { seedSql } from './seed-sql';

const run = promisify(execFile);
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const DEFAULT_PERSIST = join(ROOT, '.wrangler/state');
const WRANGLER = join(ROOT, 'node_modules/wrangler/bin/wrangler.js');

export type Scope = 'read' | 'trade' | 'ingest' | 'admin';
export interface DemoKey {
  id: string;
  key: string;
  scopes: Scope[];
  name: string;
  tier: 'standard' | 'high';
}
export interface SeedInfo {
  seededAt: number;
  daily: number;
  minute: number;
  keys: DemoKey[];
}

export const wranglerEnv = (): NodeJS.ProcessEnv => ({
  ...process.env,
  WRANGLER_SEND_METRICS: 'false',
  CI: process.env.CI ?? '',
  FORCE_COLOR: '0',
});

async function wrangler(args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [WRANGLER, ...args], {
    cwd: ROOT,
    env: wranglerEnv(),
    maxBuffer: 256 * 1024 * 1024,
  });
  return stdout;
}

export async function applyMigrations(persistTo: string): Promise<void> {
  await wrangler(['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', persistTo]);
}

export async function d1Execute(
  persistTo: string,
  opts: { file?: string; command?: string },
): Promise<unknown[]> {
  const args = ['d1', 'execute', 'DB', '--local', '--persist-to', persistTo, '--json', '--yes'];
  if (opts.file) args.push('--file', opts.file);
  if (opts.command) args.push('--command', opts.command);
  const out = await wrangler(args);
  const start = out.indexOf('[');
  return start >= 0 ? (JSON.parse(out.slice(start)) as unknown[]) : [];
}

export function sha256Hex(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

export function newKey(): string {
  return `sk_${randomBytes(32).toString('base64url')}`;
}

export function keyInsertSql(k: DemoKey): string {
  const q = (s: string) => `'${s.replaceAll("'", "''")}'`;
  return `INSERT INTO api_keys (id, name, prefix, hash, scopes, rate_limit_tier, created_at) VALUES (${q(k.id)}, ${q(k.name)}, ${q(k.key.slice(0, 10))}, ${q(sha256Hex(k.key))}, ${q(k.scopes.join(','))}, ${q(k.tier)}, ${Date.now()});`;
}

export function makeKey(name: string, scopes: Scope[], tier: 'standard' | 'high' = 'standard'): DemoKey {
  return {
    id: `key_${Date.now().toString(36)}${randomBytes(6).toString('base64url')}`,
    key: newKey(),
    scopes,
    name,
    tier,
  };
}

/** The demo key for the stream load tests (k6-websocket-test.js): `read` on the `high` tier. */
export const LOAD_TEST_KEY_NAME = 'demo-loadtest';
const loadTestKey = () => makeKey(LOAD_TEST_KEY_NAME, ['read'], 'high');

/**
 * Applies migrations (idempotent) and, on the first run against `persistTo`, seeds the demo
 * market and one demo key per scope. The seed record (with the demo keys, which exist only
 * locally) lives inside the persisted state, so deleting the state re-seeds.
 */
export async function preparePlatform(
  persistTo = DEFAULT_PERSIST,
  log: (s: string) => void = () => {},
): Promise<SeedInfo> {
  mkdirSync(persistTo, { recursive: true });
  await applyMigrations(persistTo);
  const marker = join(persistTo, 'skippy-seed.json');
  if (existsSync(marker)) {
    const info = JSON.parse(readFileSync(marker, 'utf8')) as SeedInfo;
    // State seeded before the load-test key existed gets it now, once.
    if (!info.keys.some((k) => k.name === LOAD_TEST_KEY_NAME)) {
      const k = loadTestKey();
      await d1Execute(persistTo, { command: keyInsertSql(k) });
      info.keys.push(k);
      writeFileSync(marker, JSON.stringify(info, null, 2));
    }
    return info;
  }

  log('Seeding the simulated market (2 years daily, 30 days of 1-minute bars)…');
  const now = Date.now();
  const seed = seedSql(now);
  const keys: DemoKey[] = [
    makeKey('demo-read', ['read']),
    makeKey('demo-trade', ['read', 'trade']),
    makeKey('demo-ingest', ['read', 'ingest']),
    makeKey('demo-admin', ['admin'], 'high'),
    loadTestKey(),
  ];
  const file = join(persistTo, 'seed.sql');
  writeFileSync(file, `${seed.sql}\n${keys.map(keyInsertSql).join('\n')}\n`);
  await d1Execute(persistTo, { file });
  const info: SeedInfo = { seededAt: now, daily: seed.daily, minute: seed.minute, keys };
  writeFileSync(marker, JSON.stringify(info, null, 2));
  return info;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() =>
        typeof addr === 'object' && addr ? resolvePort(addr.port) : reject(new Error('no port')),
      );
    });
  });
}

export interface RunningPlatform {
  url: string;
  port: number;
  child: ChildProcess;
  stop: () => Promise<void>;
}

/** Starts `wrangler dev` and resolves once `/api/health` answers 200. */
export async function startWrangler(opts: {
  port: number;
  persistTo?: string;
  vars?: Record<string, string>;
  inheritStdio?: boolean;
  timeoutMs?: number;
}): Promise<RunningPlatform> {
  const args = [
    WRANGLER,
    'dev',
    '--port',
    String(opts.port),
    '--ip',
    '127.0.0.1',
    '--persist-to',
    opts.persistTo ?? DEFAULT_PERSIST,
    '--show-interactive-dev-session=false',
    '--inspector-port',
    '0',
  ];
  for (const [k, v] of Object.entries(opts.vars ?? {})) args.push('--var', `${k}:${v}`);
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: wranglerEnv(),
    stdio: opts.inheritStdio ? 'inherit' : ['ignore', 'pipe', 'pipe'],
    detached: process.platform !== 'win32',
  });
  let output = '';
  if (!opts.inheritStdio) {
    child.stdout?.on('data', (d: Buffer) => {
      output = (output + d.toString()).slice(-20_000);
    });
    child.stderr?.on('data', (d: Buffer) => {
      output = (output + d.toString()).slice(-20_000);
    });
  }
  const url = `http://127.0.0.1:${opts.port}`;
  const stop = async () => {
    if (child.exitCode !== null) return;
    try {
      if (child.pid && process.platform !== 'win32') process.kill(-child.pid, 'SIGTERM');
      else child.kill('SIGTERM');
    } catch {
      // already gone
    }
    await new Promise<void>((r) => {
      const t = setTimeout(() => {
        try {
          if (child.pid) process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
        r();
      }, 5_000);
      child.once('exit', () => {
        clearTimeout(t);
        r();
      });
    });
  };
  const deadline = Date.now() + (opts.timeoutMs ?? 90_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with ${child.exitCode}:\n${output}`);
    try {
      const res = await fetch(`${url}/api/health`);
      if (res.status === 200) return { url, port: opts.port, child, stop };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  await stop();
  throw new Error(`wrangler dev did not become healthy in time:\n${output}`);
}
