import type { LoraWeights, SimdOps } from 'microlora';

/** How long WebGL may take to initialise before the page gives up on it. */
export const TFJS_INIT_TIMEOUT_MS = 5000;
/** The tfjs result must match the page's own backend within this, relative to the largest |delta|. */
export const TFJS_MAX_RELATIVE_ERROR = 1e-4;

export type TfjsLoad = { ok: true; ops: SimdOps; initMs: number } | { ok: false; reason: string };

function short(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const firstLine = text.split('\n')[0] ?? text;
  return firstLine.length > 140 ? `${firstLine.slice(0, 137)}…` : firstLine;
}

async function createWebglOps(): Promise<SimdOps> {
  await import('@tensorflow/tfjs-backend-webgl'); // registers "webgl" with tfjs-core
  const { createTfjsBackend } = await import('@microlora/simd-tfjs/backend');
  return createTfjsBackend({ tfBackend: 'webgl' });
}

/**
 * Loads tfjs-webgl and a tfjs SimdOps on it, lazily (its own chunks, so the page never
 * waits for it nor breaks when it fails), giving up after `timeoutMs`.
 */
export async function loadWebglOps(timeoutMs = TFJS_INIT_TIMEOUT_MS, create: () => Promise<SimdOps> = createWebglOps): Promise<TfjsLoad> {
  const started = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`WebGL did not initialise within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    const ops = await Promise.race([create(), timeout]);
    return { ok: true, ops, initMs: performance.now() - started };
  } catch (error) {
    return { ok: false, reason: short(error) };
  } finally {
    clearTimeout(timer);
  }
}

export interface RescoreResult {
  rows: number;
  /** Time of the tfjs loraApplyBatch call (ms), readback included. */
  tfjsMs: number;
  /** max |tfjs − reference| / max |reference| over the adapter deltas (0 when both are all zero). */
  relativeError: number;
  agrees: boolean;
  referenceBackend: string;
}

/**
 * Re-scores the chat history in one gathered batch: every row is a past query's hidden
 * state, `adapterIndex[r]` picks its adapter. Runs `loraApplyBatch` on tfjs and on the
 * page's own backend and compares the deltas, so a wrong GPU result is caught, not shown.
 */
export function rescoreHistory(
  tfjs: SimdOps,
  reference: SimdOps,
  adapters: readonly LoraWeights[],
  adapterIndex: Int32Array,
  hidden: Float32Array,
  rows: number,
): RescoreResult {
  const out = (adapters[0]?.outFeatures ?? 0) * rows;
  const fromTfjs = new Float32Array(out);
  const fromReference = new Float32Array(out);
  const started = performance.now();
  tfjs.loraApplyBatch(adapters, adapterIndex, hidden, fromTfjs, rows);
  const tfjsMs = performance.now() - started;
  reference.loraApplyBatch(adapters, adapterIndex, hidden, fromReference, rows);
  let largest = 0;
  let worst = 0;
  for (let i = 0; i < out; i++) {
    largest = Math.max(largest, Math.abs(fromReference[i] as number));
    const diff = Math.abs((fromTfjs[i] as number) - (fromReference[i] as number));
    worst = Number.isNaN(diff) ? Infinity : Math.max(worst, diff);
  }
  const relativeError = largest === 0 ? (worst === 0 ? 0 : Infinity) : worst / largest;
  return { rows, tfjsMs, relativeError, agrees: relativeError <= TFJS_MAX_RELATIVE_ERROR, referenceBackend: reference.name };
}
