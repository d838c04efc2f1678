/**
 * The Worker version this isolate runs (the version metadata binding, `[version_metadata]` in
 * wrangler.toml): during a gradual deployment two versions serve traffic side by side, and every
 * metric sample carries this id so the release gate can tell them apart. Local dev and tests
 * give a placeholder id; an env without the binding (a test double) reads as `unknown`.
 */
export interface WorkerVersion {
  id: string;
  tag: string;
  timestamp: string;
}

export function workerVersion(env: object): WorkerVersion {
  const meta = (env as { CF_VERSION_METADATA?: Partial<WorkerVersion> }).CF_VERSION_METADATA;
  return {
    id: typeof meta?.id === 'string' && meta.id !== '' ? meta.id : 'unknown',
    tag: typeof meta?.tag === 'string' ? meta.tag : '',
    timestamp: typeof meta?.timestamp === 'string' ? meta.timestamp : '',
  };
}
