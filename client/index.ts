export type { Channel, SnapshotFrame, StreamMessage, Subscriptions } from '../schema/contracts/stream';
export { type BackoffOptions, backoffDelay } from './backoff';
export {
  type ConnectionState,
  StreamClient,
  type StreamClientOptions,
  type StreamEvent,
  type WebSocketFactory,
  type WebSocketLike,
} from './stream-client';
