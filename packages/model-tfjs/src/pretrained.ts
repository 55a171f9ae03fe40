import { MicroLoraError } from '@microlora/core';
import { OnlineLearner, type PatternHarvester } from '@microlora/learner';
import type { SimdOps } from '@microlora/simd';
import { TaloraManager, type TaloraManagerOptions } from '@microlora/talora';
import { DEFAULT_BOUNDARIES, DEFAULT_HARVEST, type HarvestedPattern } from './adaptation.js';
import { MicroLoraInference, type Trajectory } from './inference.js';
import { DiffusionLM } from './model.js';
import { decodeWeights, type ModelWeights } from './weights.js';

/** Bank settings of the committed patterns: ranking by similarity first, quality second, no recency. */
export const PATTERN_BANK_SCORING = { similarity: 1, quality: 0.1, recency: 0 } as const;

/** A TaloraManager for a model's head layer (dim-d embeddings and adapters), holding `patterns`. */
export function createPatternManager(dim: number, patterns: readonly HarvestedPattern[] = [], options: Partial<TaloraManagerOptions> = {}): TaloraManager {
  const talora = new TaloraManager({
    boundaries: DEFAULT_BOUNDARIES,
    ...options,
    bank: { maxPatterns: 4096, dimension: dim, scoring: { ...PATTERN_BANK_SCORING }, ...options.bank },
  });
  for (const p of patterns) talora.insert({ id: p.id, embedding: p.embedding, lora: p.lora, timestepRange: p.timestepRange, metrics: p.metrics });
  return talora;
}

export interface CreateInferenceOptions {
  /** The model file's bytes (encodeWeights) or decoded weights. */
  weights: Uint8Array | ModelWeights;
  /** Saved TaloraManager bytes (the committed patterns), or a manager. Default: an empty manager. */
  patterns?: Uint8Array | TaloraManager;
  /** TALoRA interpolation: default { strategy: 'discrete', k: DEFAULT_HARVEST.k }; 'linear', 'soft-boundary', or a plugin config. */
  interpolation?: TaloraManagerOptions['interpolation'];
  /** SimdOps of the micro tier. Default: @microlora/simd-tfjs on the active tfjs backend. */
  simd?: SimdOps;
  /** A personal rank-2 adapter learnt from feedback: true (seeded, default) or your OnlineLearner; false for none. */
  learner?: boolean | OnlineLearner;
  /** Learning rate of the personal learner per feedback (MicroLoraInference's learningRate). Default 0.05. */
  learningRate?: number;
  harvester?: PatternHarvester;
  onTrajectory?: (trajectory: Trajectory) => void;
}

/**
 * Wires a ready MicroLoraInference: the model on the active tfjs backend, the
 * patterns' TALoRA manager and, by default, a personal learner. Works in Node and
 * browsers (pass the bytes you fetched or read).
 */
export async function createInference(options: CreateInferenceOptions): Promise<MicroLoraInference> {
  if (typeof options !== 'object' || options === null) throw new MicroLoraError('INVALID_ARGUMENT', 'options must be { weights, patterns?, … }');
  const weights = options.weights instanceof Uint8Array ? decodeWeights(options.weights) : options.weights;
  const model = await DiffusionLM.create(weights, options.simd === undefined ? {} : { simd: options.simd });
  const interpolation = options.interpolation ?? { strategy: 'discrete', k: DEFAULT_HARVEST.k };
  let talora: TaloraManager;
  if (options.patterns instanceof TaloraManager) talora = options.patterns;
  else if (options.patterns instanceof Uint8Array) talora = await TaloraManager.load(options.patterns, { interpolation });
  else talora = createPatternManager(weights.config.dim, [], { interpolation });
  const dim = weights.config.dim;
  const learner =
    options.learner instanceof OnlineLearner
      ? options.learner
      : options.learner === false
        ? undefined
        : new OnlineLearner({ rank: 2, inFeatures: dim, outFeatures: dim, seed: 1, clipNorm: 1 });
  return new MicroLoraInference({
    model,
    talora,
    ...(learner ? { learner } : {}),
    ...(options.learningRate === undefined ? {} : { learningRate: options.learningRate }),
    ...(options.harvester ? { harvester: options.harvester } : {}),
    ...(options.onTrajectory ? { onTrajectory: options.onTrajectory } : {}),
  });
}
