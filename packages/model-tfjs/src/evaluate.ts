import * as tf from '@tensorflow/tfjs-core';
import { SeededRng, type Seed } from '@microlora/core';
import type { ModelConfig } from './config.js';
import { head, trunk, type TensorParams } from './forward.js';
import { maskTokens } from './masking.js';
import { tokenize } from './vocab.js';

export interface MaskedAccuracy {
  /** Fraction of masked characters whose argmax prediction is right. */
  accuracy: number;
  /** Mean cross-entropy (nats) of the masked characters. */
  loss: number;
  /** Masked characters scored. */
  masked: number;
}

/**
 * Denoising accuracy of the bare model (no adapters) at mask rate t on `texts`;
 * the masks depend only on `seed`, so two models are compared on the same masks.
 */
export function maskedAccuracy(config: ModelConfig, params: TensorParams, texts: readonly string[], t: number, seed: Seed = 7, batchSize = 64): MaskedAccuracy {
  const rng = new SeededRng(seed);
  const len = config.seqLen;
  let right = 0;
  let lossSum = 0;
  let count = 0;
  for (let start = 0; start < texts.length; start += batchSize) {
    const rows = Math.min(batchSize, texts.length - start);
    const clean = new Int32Array(rows * len);
    const noisy = new Int32Array(rows * len);
    const masked = new Float32Array(rows * len);
    for (let b = 0; b < rows; b++) {
      clean.set(tokenize(texts[start + b] as string, len), b * len);
      maskTokens(clean.subarray(b * len, (b + 1) * len), t, rng, noisy.subarray(b * len, (b + 1) * len), masked.subarray(b * len, (b + 1) * len));
    }
    const [logp, arg] = tf.tidy(() => {
      const lp = tf.logSoftmax(head(params, trunk(config, params, tf.tensor1d(noisy, 'int32'), new Float32Array(rows).fill(t))));
      return [lp.dataSync() as Float32Array, tf.argMax(lp, 1).dataSync() as Int32Array];
    });
    const v = config.vocabSize;
    for (let i = 0; i < rows * len; i++) {
      if (masked[i] !== 1) continue;
      count++;
      if (arg[i] === clean[i]) right++;
      lossSum -= logp[i * v + (clean[i] as number)] as number;
    }
  }
  return { accuracy: count ? right / count : Number.NaN, loss: count ? lossSum / count : Number.NaN, masked: count };
}

/**
 * Accuracy of the unigram baseline (always predict the most frequent character of
 * `trainTexts`) on the characters of `evalTexts`, which equals its expected
 * accuracy on uniformly masked positions.
 */
export function unigramAccuracy(trainTexts: readonly string[], evalTexts: readonly string[], seqLen: number): number {
  const counts = new Map<number, number>();
  for (const s of trainTexts) for (const id of tokenize(s, seqLen)) if (id !== 0) counts.set(id, (counts.get(id) ?? 0) + 1);
  let best = -1;
  let bestCount = -1;
  for (const [id, c] of counts) if (c > bestCount) [best, bestCount] = [id, c];
  let hit = 0;
  let total = 0;
  for (const s of evalTexts) {
    for (const id of tokenize(s, seqLen)) {
      if (id === 0) continue;
      total++;
      if (id === best) hit++;
    }
  }
  return total ? hit / total : Number.NaN;
}
