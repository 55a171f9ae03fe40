import { MicroLoraError } from '@microlora/core';
import type * as tfc from '@tensorflow/tfjs-core';

/** The tfjs-core module namespace (one engine, one active backend per process). */
export type Tf = typeof tfc;

/** True when the tfjs backend `name` is registered and initialised. */
export function isTfBackendReady(tf: Tf, name: string): boolean {
  return tf.engine().registry[name] !== undefined;
}

/**
 * Makes `name` the active tfjs backend, synchronously. tfjs keeps one global
 * active backend and `setBackend` of an initialised backend switches before its
 * first await. The active backend is left as is afterwards: a switch costs
 * ~0.4 ms (tfjs re-runs every kernel's setup), so switching back after each op
 * would make a second tfjs backend in the process 10–100× slower.
 */
function activate(tf: Tf, name: string): void {
  void tf.setBackend(name).catch(() => undefined); // a failure shows as the wrong backend below
  if (tf.getBackend() !== name) {
    throw new MicroLoraError(
      'BACKEND_UNAVAILABLE',
      `tfjs backend "${name}" could not be activated (was it removed with tf.removeBackend?); create the SimdOps backend again`,
      { details: { tfBackend: name } },
    );
  }
}

/**
 * Runs `fn` with the tfjs backend `name` active (no switch at all in the usual
 * one-backend case). With `restore`, the backend active before is made active
 * again afterwards (two switches per call whenever they differ).
 */
export function runOnTfBackend<T>(tf: Tf, name: string, fn: () => T, restore = false): T {
  const previous = tf.getBackend() as string | null;
  if (previous === name) return fn();
  activate(tf, name);
  if (!restore || previous === null || !isTfBackendReady(tf, previous)) return fn();
  try {
    return fn();
  } finally {
    // Never throws: a failure here must not hide fn's own result or error.
    void tf.setBackend(previous).catch(() => undefined);
  }
}
