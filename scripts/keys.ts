/**
 * `npm run keys -- <command>`: manage API keys in the LOCAL database (the one `npm start` uses).
 * For a deployed Worker, use the admin endpoints (`/api/v1/admin/keys`) with an admin key.
 *
 *   npm run keys -- create --scopes read,trade --name my-bot [--tier high]
 *   npm run keys -- list
 *   npm run keys -- revoke key_…
 */
import { parseArgs } from 'node:util';
import { localKvDelete, localKvKey, localKvPut } from './lib/local-kv';
import {
  applyMigrations,
  DEFAULT_PERSIST,
  d1Execute,
  keyInsertSql,
  makeKey,
  type Scope,
} from './lib/platform';

/** As in platform/auth/key-revocations.ts: twice the 10-minute life of a last-known-good copy. */
const TOMBSTONE_TTL_SECONDS = 20 * 60;

const SCOPES: readonly Scope[] = ['read', 'trade', 'ingest', 'admin'];

function fail(message: string): never {
  console.error(`keys: ${message}`);
  process.exit(2);
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    scopes: { type: 'string' },
    name: { type: 'string' },
    tier: { type: 'string', default: 'standard' },
    'persist-to': { type: 'string', default: DEFAULT_PERSIST },
  },
});
const [command, arg] = positionals;
const persistTo = values['persist-to'] ?? DEFAULT_PERSIST;

interface Row {
  id: string;
  name: string;
  prefix: string;
  scopes: string;
  rate_limit_tier: string;
  created_at: number;
  revoked_at: number | null;
}

function rowsOf<T = Row>(result: unknown[]): T[] {
  const first = result[0] as { results?: T[] } | undefined;
  return first?.results ?? [];
}

await applyMigrations(persistTo);
switch (command) {
  case 'create': {
    const scopes = (values.scopes ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (scopes.length === 0) fail('--scopes is required (comma-separated: read, trade, ingest, admin)');
    const unknown = scopes.filter((s) => !SCOPES.includes(s as Scope));
    if (unknown.length > 0) fail(`unknown scope(s): ${unknown.join(', ')}`);
    const name = values.name?.trim();
    if (!name) fail('--name is required');
    if (values.tier !== 'standard' && values.tier !== 'high') fail('--tier must be standard or high');
    const key = makeKey(name, scopes as Scope[], values.tier);
    await d1Execute(persistTo, { command: keyInsertSql(key) });
    console.log(
      `Created ${key.id} (${key.scopes.join(',')}, ${key.tier}). Store the key now; it is not shown again:\n${key.key}`,
    );
    break;
  }
  case 'list': {
    const rows = rowsOf(
      await d1Execute(persistTo, {
        command:
          'SELECT id, name, prefix, scopes, rate_limit_tier, created_at, revoked_at FROM api_keys ORDER BY created_at DESC',
      }),
    );
    if (rows.length === 0) console.log('No keys.');
    for (const r of rows) {
      const state = r.revoked_at ? `revoked ${new Date(r.revoked_at).toISOString()}` : 'active';
      console.log(
        `${r.id.padEnd(28)} ${r.prefix}…  ${r.scopes.padEnd(22)} ${r.rate_limit_tier.padEnd(8)} ${r.name.padEnd(20)} ${state}`,
      );
    }
    break;
  }
  case 'revoke': {
    if (!arg || !/^key_[A-Za-z0-9_-]+$/.test(arg)) fail('usage: npm run keys -- revoke key_…');
    // The same steps as the admin API (platform/auth/revoke-key.ts): the tombstone first, so no
    // last-known-good copy (in KV or in a running Worker's memory) is accepted while D1 fails, then
    // D1, then the KV copy. Each step is idempotent: revoking again repairs a half-done revocation.
    const found = rowsOf<{ hash: string }>(
      await d1Execute(persistTo, { command: `SELECT hash FROM api_keys WHERE id = '${arg}'` }),
    )[0];
    if (!found) fail(`no key ${arg}`);
    const now = Date.now();
    await localKvPut(
      persistTo,
      localKvKey.revokedKey(found.hash),
      JSON.stringify({ keyId: arg, revokedAt: now }),
      TOMBSTONE_TTL_SECONDS,
    );
    const row = rowsOf<{ revoked_at: number }>(
      await d1Execute(persistTo, {
        command: `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ${now}) WHERE id = '${arg}' RETURNING revoked_at`,
      }),
    )[0];
    await localKvDelete(persistTo, localKvKey.apiKey(found.hash));
    console.log(
      !row || row.revoked_at === now
        ? `Revoked ${arg}.`
        : `${arg} was already revoked at ${new Date(row.revoked_at).toISOString()}; its cached copies are superseded again.`,
    );
    break;
  }
  default:
    fail(
      'usage: npm run keys -- create --scopes read,trade --name NAME [--tier high] | list | revoke KEY_ID',
    );
}
