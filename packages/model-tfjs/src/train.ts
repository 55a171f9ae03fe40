// Training of the denoiser. Needs gradients, which the CommonJS @tensorflow/tfjs-core
// alone does not register: the @tensorflow/tfjs umbrella (an optional peer) does.
import '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import { MicroLoraError, SeededRng, type Seed } from '@microlora/core';
import { DEFAULT_MODEL_CONFIG, parameterCount, type ModelConfig } from './config.js';
import { head, trunk } from './forward.js';
import { maskTokens } from './masking.js';
import { tokenize } from './vocab.js';
import { initWeights, type ModelWeights } from './weights.js';

export interface TrainProgress {
  step: number;
  elapsedMs: number;
  /** Mean masked cross-entropy (nats) over the steps since the last report. */
  loss: number;
  learningRate: number;
}

export interface TrainOptions {
  /** Training texts (e.g. GlossEntry.text); cut or padded to config.seqLen. */
  texts: readonly string[];
  config?: ModelConfig;
  /** Start from these weights instead of a fresh seeded init. */
  initial?: ModelWeights;
  /** Stop after this many optimizer steps … */
  maxSteps?: number;
  /** … or after this much wall time, whichever comes first. Default 30 min. */
  maxMinutes?: number;
  /** Sequences per step. Default 32. */
  batchSize?: number;
  /** Peak Adam learning rate (linear warm-up, cosine decay to 10 %). Default 3e-3. */
  learningRate?: number;
  warmupSteps?: number;
  seed?: Seed;
  /** Called every `reportEvery` steps. */
  onProgress?: (p: TrainProgress) => void;
  reportEvery?: number;
}

export interface TrainResult {
  weights: ModelWeights;
  steps: number;
  elapsedMs: number;
  finalLoss: number;
  parameters: number;
}

/** Masked-token cross-entropy (mean over masked positions) of one batch. */
export function maskedLoss(config: ModelConfig, params: ReadonlyMap<string, tf.Tensor>, noisy: Int32Array, targets: Int32Array, masked: Float32Array, t: Float32Array): tf.Scalar {
  const logits = head(params, trunk(config, params, tf.tensor1d(noisy, 'int32'), t, true), true);
  const logp = tf.logSoftmax(logits);
  const picked = tf.sum(tf.mul(logp, tf.cast(tf.oneHot(tf.tensor1d(targets, 'int32'), config.vocabSize), 'float32')), 1);
  const m = tf.tensor1d(masked);
  return tf.div(tf.neg(tf.sum(tf.mul(picked, m))), tf.maximum(tf.sum(m), 1)) as tf.Scalar;
}

/**
 * Trains the masked-diffusion denoiser: each step draws `batchSize` texts and one
 * t ~ U(0, 1) per text, masks each character with probability t, and minimises
 * the cross-entropy of the masked characters (t is an input of the model).
 * Runs on the active tfjs backend (use 'wasm' in Node: ~17× faster than 'cpu').
 */
export async function trainModel(options: TrainOptions): Promise<TrainResult> {
  const config = options.initial?.config ?? options.config ?? DEFAULT_MODEL_CONFIG;
  const texts = options.texts;
  if (!Array.isArray(texts) || texts.length === 0) throw new MicroLoraError('INVALID_ARGUMENT', 'texts must be a non-empty array of strings');
  const batch = options.batchSize ?? 32;
  const maxSteps = options.maxSteps ?? Number.POSITIVE_INFINITY;
  const maxMs = (options.maxMinutes ?? 30) * 60_000;
  const peak = options.learningRate ?? 3e-3;
  const warmup = options.warmupSteps ?? 200;
  const reportEvery = options.reportEvery ?? 50;
  const rng = new SeededRng(options.seed ?? 1);
  const initial = options.initial ?? initWeights(config, options.seed ?? 1);
  const encoded = texts.map((s) => tokenize(s, config.seqLen));

  const vars = new Map<string, tf.Variable>();
  for (const [name, w] of initial.tensors) vars.set(name, tf.variable(tf.tensor(w.data, [...w.shape]), true, `mldm/${name}`));
  const optimizer = tf.train.adam(peak, 0.9, 0.98, 1e-7);
  const len = config.seqLen;
  const noisy = new Int32Array(batch * len);
  const targets = new Int32Array(batch * len);
  const masked = new Float32Array(batch * len);
  const t = new Float32Array(batch);
  const start = Date.now();
  // The schedule's horizon: the step budget, else an estimate from the time budget after 20 steps.
  let horizon = Number.isFinite(maxSteps) ? maxSteps : 0;
  let step = 0;
  let lossSum = 0;
  let lossCount = 0;
  let finalLoss = Number.NaN;
  while (step < maxSteps && Date.now() - start < maxMs) {
    for (let b = 0; b < batch; b++) {
      const clean = encoded[rng.int(encoded.length)] as Int32Array;
      t[b] = rng.next();
      targets.set(clean, b * len);
      maskTokens(clean, t[b] as number, rng, noisy.subarray(b * len, (b + 1) * len), masked.subarray(b * len, (b + 1) * len));
    }
    if (horizon === 0 && step === 20) horizon = Math.max(21, Math.floor((maxMs / (Date.now() - start)) * 20));
    const h = horizon === 0 ? 1e9 : horizon;
    const lr = step < warmup ? (peak * (step + 1)) / warmup : peak * (0.1 + 0.45 * (1 + Math.cos((Math.PI * Math.min(1, (step - warmup) / Math.max(1, h - warmup))))));
    (optimizer as unknown as { learningRate: number }).learningRate = lr;
    const cost = optimizer.minimize(() => maskedLoss(config, vars, noisy, targets, masked, t), true);
    const value = (await cost!.data())[0] as number;
    cost!.dispose();
    if (!Number.isFinite(value)) throw new MicroLoraError('NON_FINITE', `training loss became ${value} at step ${step}; lower the learning rate`);
    lossSum += value;
    lossCount++;
    step++;
    if (step % reportEvery === 0 || step === maxSteps) {
      finalLoss = lossSum / lossCount;
      options.onProgress?.({ step, elapsedMs: Date.now() - start, loss: finalLoss, learningRate: lr });
      lossSum = 0;
      lossCount = 0;
    }
  }
  if (lossCount > 0) finalLoss = lossSum / lossCount;
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, v] of vars) {
    tensors.set(name, { shape: [...v.shape], data: (await v.data()) as Float32Array });
    v.dispose();
  }
  optimizer.dispose();
  return { weights: { config, tensors }, steps: step, elapsedMs: Date.now() - start, finalLoss, parameters: parameterCount(config) };
}
