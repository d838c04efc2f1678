/**
 * `npm run flags -- list | set <key> <variant> [--off] | rollout <key> <variant> <percent>`
 *
 * Talks to the admin API (so every change is validated and audited like any other):
 * SKIPPY_URL (default http://127.0.0.1:8787) and SKIPPY_ADMIN_KEY (an `admin`-scope key).
 */
export {};

const base = process.env.SKIPPY_URL ?? 'http://127.0.0.1:8787';
const key = process.env.SKIPPY_ADMIN_KEY;
const [command = 'list', flag, variant, percent] = process.argv.slice(2);

function fail(message: string): never {
  process.stderr.write(`flags: ${message}\n`);
  process.exit(1);
}
if (!key) fail('SKIPPY_ADMIN_KEY (an admin-scope API key) is required.');

async function call(path: string, init: RequestInit = {}): Promise<unknown> {
  const res = await fetch(new URL(path, base), {
    ...init,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
  });
  const body = (await res.json()) as { error?: { message: string; details?: unknown } };
  if (!res.ok)
    fail(
      `${res.status} ${body.error?.message ?? ''} ${body.error?.details ? JSON.stringify(body.error.details) : ''}`,
    );
  return body;
}

interface AdminFlag {
  key: string;
  description: string;
  state: { enabled: boolean; variant: string; rollout: number };
  stored: boolean;
}

const put = (state: AdminFlag['state']) =>
  call(`/api/v1/admin/flags/${encodeURIComponent(flag ?? '')}`, {
    method: 'PUT',
    body: JSON.stringify(state),
  });

switch (command) {
  case 'list': {
    const { data } = (await call('/api/v1/admin/flags')) as { data: AdminFlag[] };
    for (const f of data) {
      const s = f.state;
      const what = s.enabled ? `${s.variant} to ${s.rollout} %` : 'off (default variant)';
      process.stdout.write(`${f.key.padEnd(32)} ${what.padEnd(24)} ${f.stored ? '' : '(default)'}\n`);
    }
    break;
  }
  case 'set':
    if (!flag || !variant) fail('usage: set <key> <variant> [--off]');
    await put({ enabled: !process.argv.includes('--off'), variant, rollout: 100 });
    process.stdout.write(`${flag}: ${variant} for every key\n`);
    break;
  case 'rollout':
    if (!flag || !variant || percent === undefined) fail('usage: rollout <key> <variant> <percent>');
    await put({ enabled: true, variant, rollout: Number(percent) });
    process.stdout.write(`${flag}: ${variant} for ${percent} % of keys\n`);
    break;
  default:
    fail(`unknown command ${command}: use list | set | rollout`);
}
