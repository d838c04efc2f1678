/**
 * Re-runs a panel's refresh every `everyMs` while the panel is attached and visible: a hidden tab
 * costs no requests, and a detached panel stops for good. `cancel` before a manual refresh, so
 * two timers never run at once; `schedule` after each refresh.
 */
export function visiblePoller(root: HTMLElement, everyMs: number, run: () => void) {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const cancel = () => {
    if (timer) clearTimeout(timer);
    timer = null;
  };
  const schedule = () => {
    cancel();
    timer = setTimeout(() => {
      if (!root.isConnected) return;
      if (root.closest('[hidden]')) schedule();
      else run();
    }, everyMs);
  };
  return { schedule, cancel };
}
