import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';
import { assetHeadersFile } from '../platform/http/security-policy';

const root = fileURLToPath(new URL('.', import.meta.url));

/** Initial JavaScript (entry chunk plus its static imports), gzipped. Charts load lazily and don't count. */
const INITIAL_JS_BUDGET_BYTES = 150 * 1024;

/**
 * The dashboard builds to `dashboard/dist`, which wrangler serves at `/` (see `[assets]`).
 * `scripts/lib/dashboard.ts` runs `vite build --config dashboard/vite.config.ts` from the repo root.
 */
export default defineConfig({
  root,
  base: '/',
  publicDir: false,
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
    rolldownOptions: {
      // lightweight-charts (and the chart modules) in one lazy chunk named for what it is.
      output: {
        codeSplitting: { groups: [{ name: 'charts', test: /lightweight-charts|fancy-canvas|chart-theme/ }] },
      },
    },
  },
  plugins: [sizeBudget({ initialJsGzipBytes: INITIAL_JS_BUDGET_BYTES }), assetHeaders()],
  server: {
    proxy: {
      '/api': { target: 'http://127.0.0.1:8787', ws: true },
      '/metrics': 'http://127.0.0.1:8787',
    },
  },
});

/**
 * Writes `_headers` next to the assets, so that the pages and files served without the Worker
 * carry the API's security headers (Workers static assets apply it; it is not served itself).
 */
function assetHeaders(): Plugin {
  return {
    name: 'skippy-asset-headers',
    apply: 'build',
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: '_headers', source: assetHeadersFile() });
    },
  };
}

interface ChunkInfo {
  fileName: string;
  code: string;
  isEntry: boolean;
  imports: string[];
}

interface SizeBudgetOptions {
  /** Largest allowed gzipped size of the JavaScript a first page load fetches. */
  initialJsGzipBytes: number;
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

/** Entry chunks and everything they import statically: what the browser loads before first paint. */
function initialChunks(chunks: ChunkInfo[]): Set<string> {
  const byName = new Map(chunks.map((c) => [c.fileName, c]));
  const initial = new Set<string>();
  const visit = (name: string) => {
    if (initial.has(name)) return;
    initial.add(name);
    for (const dep of byName.get(name)?.imports ?? []) visit(dep);
  };
  for (const c of chunks) if (c.isEntry) visit(c.fileName);
  return initial;
}

/**
 * Prints every JavaScript chunk with its gzipped size and fails the build when the initial
 * JavaScript exceeds the budget. Lazy chunks (dynamic imports such as the charts) are listed
 * but not counted.
 */
function sizeBudget(options: SizeBudgetOptions): Plugin {
  return {
    name: 'skippy-size-budget',
    apply: 'build',
    generateBundle(_output, bundle) {
      const chunks: ChunkInfo[] = [];
      for (const item of Object.values(bundle)) {
        if (item.type === 'chunk') {
          chunks.push({
            fileName: item.fileName,
            code: item.code,
            isEntry: item.isEntry,
            imports: item.imports,
          });
        }
      }
      const initial = initialChunks(chunks);
      let initialGzip = 0;
      const lines: string[] = [];
      for (const c of chunks.sort((a, b) => a.fileName.localeCompare(b.fileName))) {
        const gz = gzipSync(c.code, { level: 9 }).length;
        const isInitial = initial.has(c.fileName);
        if (isInitial) initialGzip += gz;
        lines.push(
          `  ${isInitial ? 'initial' : 'lazy   '}  ${c.fileName.padEnd(48)} ${kb(c.code.length).padStart(10)}  gzip ${kb(gz).padStart(9)}`,
        );
      }
      const verdict = initialGzip <= options.initialJsGzipBytes ? 'within' : 'OVER';
      const summary = `initial JS ${kb(initialGzip)} gzipped — ${verdict} the ${kb(options.initialJsGzipBytes)} budget`;
      this.info(`\nDashboard JavaScript:\n${lines.join('\n')}\n  ${summary}`);
      if (initialGzip > options.initialJsGzipBytes) this.error(`Size budget exceeded: ${summary}`);
    },
  };
}
