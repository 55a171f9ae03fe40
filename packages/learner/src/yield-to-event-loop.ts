interface TimerGlobals {
  setImmediate?: (callback: () => void) => unknown;
  setTimeout?: (callback: () => void, ms: number) => unknown;
  scheduler?: { yield?: () => Promise<void> };
}

/**
 * Resolves on a later turn of the event loop so that long background work lets
 * requests, rendering and timers run: scheduler.yield() where it exists
 * (browsers), else setImmediate (Node), else setTimeout(0).
 */
export function yieldToEventLoop(): Promise<void> {
  const g = globalThis as TimerGlobals;
  if (typeof g.scheduler?.yield === 'function') return g.scheduler.yield();
  return new Promise((resolve) => {
    if (typeof g.setImmediate === 'function') g.setImmediate(resolve);
    else if (typeof g.setTimeout === 'function') g.setTimeout(resolve, 0);
    else void Promise.resolve().then(resolve);
  });
}
