import { h } from '../lib/dom';
import type { FeedStatus } from '../stream/feed-events';

const TEXT: Record<FeedStatus['state'], string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting',
  polling: 'Polling',
  stopped: 'Offline',
};

/** The stream status in the header: live, reconnecting (the reason in its title) or polling. */
export function connectionPill(): { el: HTMLElement; update(s: FeedStatus): void } {
  const el = h('span', { class: 'pill', role: 'status', 'data-testid': 'stream-status' });
  return {
    el,
    update(s) {
      el.dataset.state = s.state;
      el.textContent = s.state === 'reconnecting' ? `${TEXT.reconnecting}…` : TEXT[s.state];
      el.title =
        s.state === 'reconnecting'
          ? `Stream lost (${s.reason}); attempt ${s.attempt}`
          : s.state === 'polling'
            ? `${s.reason}: quotes refresh every 5 s`
            : 'Market data stream';
    },
  };
}
