/**
 * CPU profiles of the Worker's isolate under `wrangler dev`, through the DevTools protocol that
 * wrangler's inspector port serves (`/json` lists the isolates). Used by `bench:ws --profile`:
 * where the single local thread spends its time is what decides fan-out latency.
 */
import { writeFileSync } from 'node:fs';
import WebSocket from 'ws';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

async function targetUrl(inspectorPort: number): Promise<string> {
  for (let attempt = 0; attempt < 40; attempt++) {
    try {
      const list = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json()) as Array<{
        webSocketDebuggerUrl?: string;
      }>;
      const url = list.find((t) => t.webSocketDebuggerUrl)?.webSocketDebuggerUrl;
      if (url) return url;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no inspector target on port ${inspectorPort}`);
}

/** Profiles the isolate for `seconds`, writes the `.cpuprofile` to `file` and returns it. */
export async function captureProfile(
  inspectorPort: number,
  seconds: number,
  file: string,
): Promise<CpuProfile> {
  const ws = new WebSocket(await targetUrl(inspectorPort));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  let id = 0;
  const call = (method: string, params: object = {}) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const mine = ++id;
      const onMessage = (raw: WebSocket.RawData) => {
        const m = JSON.parse(raw.toString()) as {
          id?: number;
          result?: Record<string, unknown>;
          error?: unknown;
        };
        if (m.id !== mine) return;
        ws.off('message', onMessage);
        if (m.error) reject(new Error(JSON.stringify(m.error)));
        else resolve(m.result ?? {});
      };
      ws.on('message', onMessage);
      ws.send(JSON.stringify({ id: mine, method, params }));
    });
  try {
    await call('Profiler.enable');
    await call('Profiler.setSamplingInterval', { interval: 200 });
    await call('Profiler.start');
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const { profile } = (await call('Profiler.stop')) as { profile: CpuProfile };
    writeFileSync(file, JSON.stringify(profile));
    return profile;
  } finally {
    ws.close();
  }
}

/** Self time per function (top `n`), and the share of samples the isolate was idle. */
export function summarise(profile: CpuProfile, n = 25): string {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<number, number>();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    const sample = profile.samples[i] ?? 0;
    self.set(sample, (self.get(sample) ?? 0) + dt);
    total += dt;
  }
  const byName = new Map<string, number>();
  for (const [nodeId, us] of self) {
    const f = byId.get(nodeId)?.callFrame;
    const file = f?.url.split('/').pop() ?? '';
    const key = `${f?.functionName || '(anonymous)'} ${file}${f && f.lineNumber >= 0 ? `:${f.lineNumber + 1}` : ''}`;
    byName.set(key, (byName.get(key) ?? 0) + us);
  }
  const rows = [...byName].sort((a, b) => b[1] - a[1]).slice(0, n);
  return rows
    .map(
      ([name, us]) =>
        `${((100 * us) / total).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(6)} ms  ${name}`,
    )
    .join('\n');
}
