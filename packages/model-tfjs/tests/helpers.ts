import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { SeededRng, createLora, isMicroLoraError, loraFromFactors, type LoraWeights } from '@microlora/core';
import { createJsBackend } from '@microlora/simd';
import { DiffusionLM, initWeights, VOCAB_SIZE, type ModelConfig, type ModelWeights } from '@microlora/model-tfjs';

/** A tiny model config: fast enough for naive references on the cpu backend. */
export const TINY: ModelConfig = { vocabSize: VOCAB_SIZE, seqLen: 8, dim: 6, dilations: [1, 2], mlpMult: 2, timeFrequencies: 2 };

export async function useCpu(): Promise<void> {
  await tf.setBackend('cpu');
  await tf.ready();
}

/** Random weights with non-trivial biases and layer-norm parameters (initWeights zeroes them). */
export function randomWeights(config: ModelConfig, seed: number): ModelWeights {
  const w = initWeights(config, seed);
  const rng = new SeededRng(seed + 100);
  for (const [name, t] of w.tensors) {
    if (t.shape.length === 1) for (let i = 0; i < t.data.length; i++) t.data[i] = (name.endsWith('_g') ? 1 : 0) + rng.normal() * 0.3;
  }
  return w;
}

/** A tiny model whose micro tier runs on the JS SIMD backend. */
export async function tinyModel(seed = 1, config: ModelConfig = TINY): Promise<DiffusionLM> {
  await useCpu();
  return DiffusionLM.create(randomWeights(config, seed), { simd: createJsBackend() });
}

/** A rank-r adapter with both factors random (createLora leaves B at zero). */
export function randomAdapter(dim: number, rank: number, seed: number, scale = 0.3): LoraWeights {
  const base = createLora({ rank, inFeatures: dim, outFeatures: dim, seed });
  const rng = new SeededRng(seed + 7);
  const b = new Float32Array(rank * dim);
  for (let i = 0; i < b.length; i++) b[i] = rng.normal() * scale;
  return loraFromFactors({ rank, inFeatures: dim, outFeatures: dim, alpha: base.alpha, a: base.a, b });
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

/** The MicroLoraError code `run` throws ('no error' if none, the text of another error). */
export function errorCode(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    return isMicroLoraError(e) ? e.code : String(e);
  }
  return 'no error';
}
