import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { maskedAccuracy, type ModelConfig } from '@microlora/model-tfjs';
import { trainModel } from '@microlora/model-tfjs/train';
import { loadPretrainedWeights } from '@microlora/model-tfjs/node';
import { useCpu } from './helpers.js';

const TEXTS = ['dog: a domestic animal', 'cat: a small feline', 'oak: a tree with acorns', 'run: move fast on foot'];

describe('trainModel (smoke steps; the committed model comes from scripts/train.mjs)', () => {
  it('lowers the masked cross-entropy of a small model on its texts', async () => {
    await useCpu();
    const config: ModelConfig = { vocabSize: 50, seqLen: 24, dim: 16, dilations: [1, 2], mlpMult: 2, timeFrequencies: 2 };
    const losses: number[] = [];
    const result = await trainModel({ texts: TEXTS, config, maxSteps: 120, batchSize: 8, learningRate: 1e-2, warmupSteps: 10, reportEvery: 20, onProgress: (p) => losses.push(p.loss) });
    expect(result.steps).toBe(120);
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]! * 0.75);
    const params = new Map([...result.weights.tensors].map(([n, w]) => [n, tf.tensor(w.data, [...w.shape])]));
    expect(maskedAccuracy(config, params, TEXTS, 0.3, 1).accuracy).toBeGreaterThan(0.3);
  });

  it('continues training the committed model for a few steps (finite loss, weights move)', async () => {
    await useCpu();
    const initial = loadPretrainedWeights();
    const result = await trainModel({ texts: TEXTS, initial, maxSteps: 2, batchSize: 2, learningRate: 1e-3, warmupSteps: 1, reportEvery: 1 });
    expect(Number.isFinite(result.finalLoss)).toBe(true);
    const before = initial.tensors.get('head_w')!.data;
    const after = result.weights.tensors.get('head_w')!.data;
    expect(after).not.toEqual(before);
  });
});
