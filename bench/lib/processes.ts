import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * The benchmarks' view of the server processes, from /proc: which processes a `wrangler dev`
 * started, their CPU time and resident memory, and the user Worker's own workerd port.
 */
export interface ProcessInfo {
  ppid: number;
  /** User + system CPU time in clock ticks. */
  ticks: number;
  name: string;
}

export const CLK_TCK = 100;

export function processTable(): Map<number, ProcessInfo> {
  const stats = new Map<number, ProcessInfo>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const raw = readFileSync(`/proc/${d}/stat`, 'utf8');
      const close = raw.lastIndexOf(')');
      const fields = raw.slice(close + 2).split(' ');
      stats.set(Number(d), {
        ppid: Number(fields[1]),
        ticks: Number(fields[11]) + Number(fields[12]),
        name: raw.slice(raw.indexOf('(') + 1, close),
      });
    } catch {
      // exited meanwhile
    }
  }
  return stats;
}

export function descendants(root: number, stats = processTable()): number[] {
  const out = [root];
  for (let i = 0; i < out.length; i++) for (const [p, s] of stats) if (s.ppid === out[i]) out.push(p);
  return out;
}

/** CPU seconds (user + system) of a process and all its descendants. */
export function treeCpuSeconds(root: number): number {
  const stats = processTable();
  let total = 0;
  for (const pid of descendants(root, stats)) total += stats.get(pid)?.ticks ?? 0;
  return total / CLK_TCK;
}

/** Resident memory (MiB) of every workerd process descending from `root` (wrangler's proxy included). */
export function workerdRssMiB(root: number): number {
  const stats = processTable();
  let kib = 0;
  for (const pid of descendants(root, stats)) {
    if (!stats.get(pid)?.name.includes('workerd')) continue;
    try {
      const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      kib += Number(m?.[1] ?? 0);
    } catch {
      // exited meanwhile
    }
  }
  return kib / 1024;
}

/**
 * The user Worker's own workerd socket, skipping wrangler dev's proxy (which relays every request
 * and frame). Found by asking each port the server's workerd processes listen on for /api/health,
 * except the public one's process. One of those ports speaks Cap'n Proto RPC: the probe makes
 * workerd log "RPC connection broken … incoming RPC message exceeds size limit" once per run,
 * which is harmless.
 */
export async function directUrl(serverPid: number, publicUrl: string): Promise<string> {
  const pids = new Set(descendants(serverPid));
  const listening = execFileSync('ss', ['-ltnpH'], { encoding: 'utf8' })
    .split('\n')
    .flatMap((line) => {
      const m = /127\.0\.0\.1:(\d+).*"workerd",pid=(\d+)/.exec(line);
      return m && pids.has(Number(m[2])) ? [{ port: Number(m[1]), pid: Number(m[2]) }] : [];
    });
  const publicPort = Number(new URL(publicUrl).port);
  const proxyPid = listening.find((l) => l.port === publicPort)?.pid;
  for (const l of listening) {
    if (l.pid === proxyPid) continue;
    const ok = await fetch(`http://127.0.0.1:${l.port}/api/health`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return `http://127.0.0.1:${l.port}`;
  }
  throw new Error("could not find the Worker's direct workerd port");
}
