import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './platform';

const DIST = join(ROOT, 'dashboard/dist');
const SRC = join(ROOT, 'dashboard/src');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** Builds the dashboard when its sources are newer than the build (wrangler serves `dashboard/dist`). */
export async function buildDashboardIfNeeded(log: (s: string) => void): Promise<void> {
  if (!existsSync(join(ROOT, 'dashboard/vite.config.ts'))) {
    mkdirSync(DIST, { recursive: true });
    if (!existsSync(join(DIST, 'index.html')))
      writeFileSync(join(DIST, 'index.html'), '<!doctype html><title>Skippy</title>');
    return;
  }
  const built = existsSync(join(DIST, 'index.html')) ? statSync(join(DIST, 'index.html')).mtimeMs : 0;
  // `_headers` comes from the security policy module: a changed policy needs a rebuild too.
  const policy = join(ROOT, 'platform/http/security-policy.ts');
  const headersCurrent =
    existsSync(join(DIST, '_headers')) && (!existsSync(policy) || statSync(policy).mtimeMs <= built);
  if (built > 0 && headersCurrent && existsSync(SRC) && newestMtime(SRC) <= built) return;
  log('Building the dashboard…');
  const r = spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'dashboard/vite.config.ts'],
    { cwd: ROOT, stdio: 'inherit' },
  );
  if (r.status !== 0) throw new Error('dashboard build failed');
}
