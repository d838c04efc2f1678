/**
 * The release steps as a pure function of the live deployment: which `wrangler versions deploy`
 * split comes next, or why the step is refused (promote without a canary, two canaries at once,
 * a rollback with nothing to roll back to). A refusal makes no wrangler call.
 */
export const CANARY_STEPS = [5, 25, 50, 100] as const;

export interface Split {
  versionId: string;
  percentage: number;
}

/** What `wrangler deployments status --json` reports, reduced to the split. */
export interface Deployment {
  versions: Split[];
}

export type Step = { ok: true; split: Split[]; message: string } | { ok: false; refused: string };

const refuse = (refused: string): Step => ({ ok: false, refused });
const describe = (d: Deployment) => d.versions.map((v) => `${v.versionId} ${v.percentage} %`).join(', ');

/** The live canary: the version at the smaller share while two versions serve traffic. */
export function canaryOf(d: Deployment): { candidate: Split; baseline: Split } | null {
  const live = d.versions.filter((v) => v.percentage > 0);
  if (live.length !== 2) return null;
  const [a, b] = live as [Split, Split];
  return a.percentage <= b.percentage ? { candidate: a, baseline: b } : { candidate: b, baseline: a };
}

export function startCanary(d: Deployment, candidate: string): Step {
  if (canaryOf(d))
    return refuse(`A canary is already running (${describe(d)}): promote it or roll it back first.`);
  const live = d.versions.find((v) => v.percentage === 100);
  if (!live) return refuse(`The deployment is not on one version (${describe(d)}); roll back first.`);
  if (live.versionId === candidate) return refuse(`Version ${candidate} already serves 100 %.`);
  const first = CANARY_STEPS[0];
  return {
    ok: true,
    split: [
      { versionId: candidate, percentage: first },
      { versionId: live.versionId, percentage: 100 - first },
    ],
    message: `Canary ${candidate} at ${first} % (live ${live.versionId} at ${100 - first} %).`,
  };
}

export function nextStep(d: Deployment): Step {
  const c = canaryOf(d);
  if (!c)
    return refuse(`No canary is running (${describe(d)}): start one with \`npm run release -- canary\`.`);
  const next = CANARY_STEPS.find((p) => p > c.candidate.percentage) ?? 100;
  if (next >= 100)
    return {
      ok: true,
      split: [{ versionId: c.candidate.versionId, percentage: 100 }],
      message: `Promoted ${c.candidate.versionId} to 100 %.`,
    };
  return {
    ok: true,
    split: [
      { versionId: c.candidate.versionId, percentage: next },
      { versionId: c.baseline.versionId, percentage: 100 - next },
    ],
    message: `Canary ${c.candidate.versionId} at ${next} %.`,
  };
}

/** Back to the old version at 100 %: the canary's baseline, or the version live before the last switch. */
export function rollback(d: Deployment, previous: string | null): Step {
  const c = canaryOf(d);
  if (c)
    return {
      ok: true,
      split: [{ versionId: c.baseline.versionId, percentage: 100 }],
      message: `Rolled back to ${c.baseline.versionId} (canary ${c.candidate.versionId} removed).`,
    };
  const live = d.versions.find((v) => v.percentage === 100);
  if (!previous || previous === live?.versionId)
    return refuse('Nothing to roll back to: no canary and no previous version recorded.');
  return {
    ok: true,
    split: [
      { versionId: previous, percentage: 100 },
      ...(live ? [{ versionId: live.versionId, percentage: 0 }] : []),
    ],
    message: `Rolled back to ${previous}.`,
  };
}

/** Blue-green: the candidate to 100 % at once, the live version kept at 0 % for an instant way back. */
export function switchTo(d: Deployment, candidate: string): Step {
  if (canaryOf(d))
    return refuse(`A canary is running (${describe(d)}): promote it or roll it back before a switch.`);
  const live = d.versions.find((v) => v.percentage === 100);
  if (!live) return refuse(`The deployment is not on one version (${describe(d)}).`);
  if (live.versionId === candidate) return refuse(`Version ${candidate} already serves 100 %.`);
  return {
    ok: true,
    split: [
      { versionId: candidate, percentage: 100 },
      { versionId: live.versionId, percentage: 0 },
    ],
    message: `Switched to ${candidate} (was ${live.versionId}, kept at 0 % for rollback).`,
  };
}

/** `wrangler versions deploy` arguments for a split. */
export function deployArgs(split: Split[], env: string, message: string): string[] {
  return [
    'versions',
    'deploy',
    ...split.map((s) => `${s.versionId}@${s.percentage}%`),
    '--env',
    env,
    '--message',
    message,
    '--yes',
  ];
}
