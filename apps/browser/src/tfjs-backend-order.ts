import { MicroLoraError } from '@microlora/core';

/**
 * tfjs backends the page tries for the model, best first. wasm leads: this model's
 * ops are small (64 × 96), where per-op overhead dominates and tfjs-wasm measured
 * ~5× faster than WebGL in Chromium here.
 */
export const TF_BACKENDS = ['wasm', 'webgl', 'cpu'] as const;
export type TfBackendName = (typeof TF_BACKENDS)[number];

/** The backend order asked for in the page URL (`?tfjs=wasm` or `?tfjs=wasm,cpu`), else TF_BACKENDS. */
export function backendOrderFromQuery(search: string): TfBackendName[] {
  const asked = new URLSearchParams(search).get('tfjs');
  if (asked === null) return [...TF_BACKENDS];
  const names = asked.split(',').map((n) => n.trim());
  const unknown = names.filter((n) => !(TF_BACKENDS as readonly string[]).includes(n));
  if (unknown.length > 0) {
    throw new MicroLoraError('INVALID_ARGUMENT', `?tfjs= takes ${TF_BACKENDS.join(', ')} (comma-separated), got ${JSON.stringify(asked)}`);
  }
  return [...new Set(names)] as TfBackendName[];
}
