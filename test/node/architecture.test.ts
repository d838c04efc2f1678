import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The layer rules of docs/architecture.md, checked on every import in the tree so the old circle
 * between `workers/` and `durable-objects/` cannot come back:
 * - `platform/` builds on `engine/` and `schema/` only, never on `workers/` or `durable-objects/`;
 * - `durable-objects/` never imports `workers/`, and reaches another object family only through
 *   that family's `client.ts`;
 * - `workers/` reaches an object family only through its `client.ts` (the entry re-exports the
 *   classes), and one feature folder never imports another;
 * - `engine/`, `client/` and `schema/` import no Cloudflare, Worker or object code, and the stream
 *   protocol (`schema/contracts/stream.ts`) stays plain zod so the browser bundle carries no Hono.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const FEATURES = ['market', 'streaming', 'backtests', 'predictions', 'admin', 'ops', 'capacity', 'flags'];

interface Edge {
  from: string;
  to: string;
  spec: string;
}

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(join(ROOT, dir))) {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) sources(path, out);
    else if (/\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name)) out.push(path);
  }
  return out;
}

function imports(file: string): Edge[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const edges: Edge[] = [];
  for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) {
    const spec = m[1] as string;
    const to = spec.startsWith('.') ? relative(ROOT, resolve(ROOT, dirname(file), spec)) : spec;
    edges.push({ from: file, to, spec });
  }
  return edges;
}

const LAYERS = ['platform', 'workers', 'durable-objects', 'engine', 'client', 'schema'];
const edges = LAYERS.flatMap((layer) => sources(layer)).flatMap(imports);
const top = (p: string): string => p.split('/')[0] ?? '';
const show = (list: Edge[]) => list.map((e) => `${e.from} -> ${e.spec}`);

describe('layer rules (docs/architecture.md)', () => {
  it('scans the whole tree', () => {
    expect(edges.length).toBeGreaterThan(500);
  });

  it('platform/ imports neither workers/ nor durable-objects/', () => {
    const bad = edges.filter(
      (e) => top(e.from) === 'platform' && ['workers', 'durable-objects'].includes(top(e.to)),
    );
    expect(show(bad)).toEqual([]);
  });

  it('durable-objects/ never import workers/, and other families only through their client.ts', () => {
    const bad = edges.filter((e) => {
      if (top(e.from) !== 'durable-objects') return false;
      if (top(e.to) === 'workers') return true;
      if (top(e.to) !== 'durable-objects') return false;
      const [, fromFamily] = e.from.split('/');
      const [, toFamily, ...rest] = e.to.split('/');
      return fromFamily !== toFamily && rest.join('/') !== 'client';
    });
    expect(show(bad)).toEqual([]);
  });

  it('workers/ reach an object only through its family client.ts (the entry re-exports classes)', () => {
    const bad = edges.filter(
      (e) =>
        top(e.from) === 'workers' &&
        e.from !== 'workers/index.ts' &&
        top(e.to) === 'durable-objects' &&
        !e.to.endsWith('/client'),
    );
    expect(show(bad)).toEqual([]);
  });

  it('no feature folder imports another', () => {
    const feature = (p: string) => {
      const [first, second] = p.split('/');
      return first === 'workers' && second && FEATURES.includes(second) ? second : null;
    };
    const bad = edges.filter((e) => {
      const a = feature(e.from);
      const b = feature(e.to);
      return a && b && a !== b;
    });
    expect(show(bad)).toEqual([]);
  });

  it('engine/, client/ and schema/ stay free of Cloudflare, Worker and object code', () => {
    const bad = edges.filter(
      (e) =>
        ['engine', 'client', 'schema'].includes(top(e.from)) &&
        (['workers', 'durable-objects', 'platform'].includes(top(e.to)) ||
          e.to.startsWith('cloudflare:') ||
          e.to === 'hono' ||
          e.to.startsWith('hono/')),
    );
    expect(show(bad)).toEqual([]);
  });

  it('the stream protocol is plain zod (no OpenAPI extension or Hono in the browser bundle)', () => {
    const bad = edges.filter(
      (e) =>
        e.from === 'schema/contracts/stream.ts' &&
        !['zod', 'zod/mini'].includes(e.to) &&
        top(e.to) !== 'schema',
    );
    expect(show(bad)).toEqual([]);
    const reach = (file: string, seen = new Set<string>()): Set<string> => {
      for (const e of edges.filter((x) => x.from === file)) {
        if (seen.has(e.to)) continue;
        seen.add(e.to);
        if (top(e.to) === 'schema' || top(e.to) === 'client') reach(`${e.to}.ts`, seen);
      }
      return seen;
    };
    const reached = [...reach('client/stream-client.ts')];
    expect(reached.filter((s) => s.includes('hono'))).toEqual([]);
  });
});
