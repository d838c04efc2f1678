import type { Principal } from '../../platform/auth/api-keys';
import { INGEST_HEADERS } from './ingest-session';

/**
 * The ingest-session family's one door: one object per API key (`key:<id>`), so a key's publisher
 * sockets share its re-checks and budget. Hands an authenticated upgrade to it.
 */
export function openPublisherSocket(env: Env, principal: Principal): Promise<Response> {
  const ns = env.INGEST_SESSION;
  return ns.get(ns.idFromName(`key:${principal.keyId}`)).fetch('https://ingest.internal/connect', {
    headers: {
      upgrade: 'websocket',
      [INGEST_HEADERS.keyId]: principal.keyId,
      [INGEST_HEADERS.tier]: principal.tier,
    },
  });
}
