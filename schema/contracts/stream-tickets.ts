import { z } from '@hono/zod-openapi';

/** `POST /api/v1/stream/ticket`: a single-use ticket for browsers, which cannot set headers on a WebSocket. */
export const StreamTicketRequest = z
  .object({ ttlSeconds: z.number().int().min(1).max(60).default(30) })
  .strict()
  .openapi('StreamTicketRequest');
export const StreamTicket = z
  .object({ ticket: z.string(), expiresAt: z.number().int(), url: z.string() })
  .openapi('StreamTicket');
