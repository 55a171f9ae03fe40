import { MicroLoraError, SeededRng, type CompressedLora, type LoraWeights, type PatternMetrics, type Seed, type TimestepRange } from '@microlora/core';
import { OnlineLearner, type PatternHarvester } from '@microlora/learner';
import type { SimdOps } from '@microlora/simd';
import { maskTokens } from './masking.js';
import type { DiffusionLM } from './model.js';
import { CharRow, backpropToPreActivation } from './char-logits.js';

/** Noisy sequences of one domain at timesteps in one range, with the model's trunk features. */
export interface DomainSamples {
  readonly range: TimestepRange;
  /** Noisy tokens per sequence (seqLen each). */
  readonly tokens: Int32Array[];
  /** Clean tokens per sequence. */
  readonly clean: Int32Array[];
  readonly t: number[];
  /** Trunk features, sequences·seqLen × dim. */
  readonly features: Float32Array;
  /** Head pre-activations without a micro adapter, sequences·seqLen × dim. */
  readonly basePre: Float32Array;
  /** The model's query embedding of each noisy sequence (pooled features). */
  readonly embeddings: Float32Array[];
  /** Masked positions per sequence. */
  readonly masked: Int32Array[];
}

/**
 * Masks each text `samplesPerText` times at t ~ U(range) and runs the trunk once
 * (batched); what adapter training and evaluation need, computed once.
 */
export function sampleDomain(model: DiffusionLM, texts: readonly string[], range: TimestepRange, options: { samplesPerText?: number; seed?: Seed; batchSize?: number } = {}): DomainSamples {
  const { seqLen, dim } = model.config;
  const rng = new SeededRng(options.seed ?? 1);
  const reps = options.samplesPerText ?? 1;
  const batchSize = options.batchSize ?? 64;
  const tokens: Int32Array[] = [];
  const clean: Int32Array[] = [];
  const t: number[] = [];
  const masked: Int32Array[] = [];
  const mask = new Float32Array(seqLen);
  for (let r = 0; r < reps; r++) {
    for (const text of texts) {
      const c = model.tokenize(text);
      const n = new Int32Array(seqLen);
      // Timesteps strictly inside (start, end]: t = 0 would mask nothing.
      const ti = range[0] + (range[1] - range[0]) * (1 - rng.next());
      maskTokens(c, Math.max(ti, 1e-3), rng, n, mask);
      const pos: number[] = [];
      for (let i = 0; i < seqLen; i++) if (mask[i] === 1) pos.push(i);
      tokens.push(n);
      clean.push(c);
      t.push(ti);
      masked.push(Int32Array.from(pos));
    }
  }
  const features = new Float32Array(tokens.length * seqLen * dim);
  const basePre = new Float32Array(tokens.length * seqLen * dim);
  for (let s = 0; s < tokens.length; s += batchSize) {
    const rows = Math.min(batchSize, tokens.length - s);
    const f = model.trunkFeatures(tokens.slice(s, s + rows), t.slice(s, s + rows));
    features.set(f, s * seqLen * dim);
    const heads = model.forwardHeadBatch(f, new Array(rows).fill({}));
    heads.forEach((h, k) => basePre.set(h.preActivation, (s + k) * seqLen * dim));
  }
  const embeddings = tokens.map((seq, s) => model.poolFeatures(seq, features, s * seqLen * dim));
  return { range, tokens, clean, t, features, basePre, embeddings, masked };
}

/** The output layer in plain JS: logits, loss and ∂loss/∂pre-activation at one position. */
class HeadMath {
  readonly logits: Float32Array;
  readonly g: Float32Array;
  private readonly dLogits: Float32Array;
  private readonly row = new CharRow();
  constructor(
    private readonly outW: Float32Array,
    private readonly outB: Float32Array,
    private readonly dim: number,
    private readonly vocab: number,
  ) {
    this.logits = new Float32Array(vocab);
    this.dLogits = new Float32Array(vocab);
    this.g = new Float32Array(dim);
  }

  /** Cross-entropy of `target` given pre-activation u; with `grad`, fills g = ∂loss/∂u. */
  loss(u: Float32Array, target: number, grad: boolean): number {
    const { dim: d, vocab: v, outW, logits } = this;
    logits.set(this.outB);
    for (let j = 0; j < d; j++) {
      const zj = u[j] as number; // ReLU: only positive pre-activations reach the output layer
      if (!(zj > 0)) continue;
      const row = j * v;
      for (let c = 0; c < v; c++) logits[c] = (logits[c] as number) + zj * (outW[row + c] as number);
    }
    const r = this.row.read(logits, 0, v);
    const loss = r.logSumExp - (logits[target] as number);
    if (grad) {
      // ∂loss/∂logits = p − e_target over the characters, then through W_out and the ReLU.
      r.probsInto(logits, 0, v, this.dLogits);
      this.dLogits[target] = (this.dLogits[target] as number) - 1;
      backpropToPreActivation(outW, v, u, this.dLogits, this.g);
    }
    return loss;
  }
}

export interface TrainAdapterOptions {
  rank?: number;
  /** Passes over the samples. Default 3. */
  epochs?: number;
  /** Learning rate of each applyUpdates. Default 0.2. */
  learningRate?: number;
  /** Masked positions per applyUpdates (a minibatch). Default 64. */
  batch?: number;
  seed?: Seed;
  /** Train on these sequences only (default all). */
  sequences?: readonly number[];
  /** The harvest path: each trained-on sequence is reported with its quality. */
  harvester?: PatternHarvester;
  /** Adapter id for the harvester. */
  adapterId?: string;
  /** SIMD backend of the learner. */
  backend?: SimdOps;
  /** The learner's step rule. Default 'sgd' (plain mean-gradient steps: measured to fit domains better here). */
  stepRule?: 'sgd' | 'normalized';
}

/**
 * Trains a rank-r MicroLoRA of the head layer on a domain's samples with the
 * exact chain rule (OnlineLearner fed ∂loss/∂pre-activation of each masked
 * character) and, with a harvester, reports every sequence as a served query
 * whose quality is how much the adapter beats the base model on it:
 * quality = σ(10 · (base loss − adapted loss)) over its masked characters.
 * Returns the trained adapter (a copy).
 */
export function trainDomainAdapter(model: DiffusionLM, samples: DomainSamples, options: TrainAdapterOptions = {}): LoraWeights {
  const { seqLen, dim, vocabSize } = model.config;
  const rng = new SeededRng(options.seed ?? 1);
  const learner = new OnlineLearner({
    rank: options.rank ?? 2,
    inFeatures: dim,
    outFeatures: dim,
    seed: options.seed ?? 1,
    stepRule: options.stepRule ?? 'sgd',
    ...(options.backend ? { backend: options.backend } : {}),
  });
  const math = new HeadMath(model.outputWeights(), model.outputBias(), dim, vocabSize);
  const lr = options.learningRate ?? 0.2;
  const batch = options.batch ?? 64;
  const order = options.sequences ? [...options.sequences] : samples.tokens.map((_, i) => i);
  if (options.harvester !== undefined && options.adapterId === undefined) throw new MicroLoraError('INVALID_ARGUMENT', 'adapterId is required with a harvester');
  const u = new Float32Array(dim);
  let pending = 0;
  for (let epoch = 0; epoch < (options.epochs ?? 3); epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [order[i], order[j]] = [order[j] as number, order[i] as number];
    }
    for (const s of order) {
      let gain = 0;
      const positions = samples.masked[s] as Int32Array;
      for (const pos of positions) {
        const row = (s * seqLen + pos) * dim;
        const x = samples.features.subarray(row, row + dim);
        const base = samples.basePre.subarray(row, row + dim);
        const target = (samples.clean[s] as Int32Array)[pos] as number;
        const baseLoss = math.loss(base, target, false);
        u.set(base);
        learner.applyAdd(x, u);
        const loss = math.loss(u, target, true);
        gain += baseLoss - loss;
        learner.adapt(x, { gradient: math.g });
        if (++pending === batch) {
          learner.applyUpdates(lr);
          pending = 0;
        }
      }
      if (options.harvester !== undefined && positions.length > 0) {
        const quality = 1 / (1 + Math.exp((-10 * gain) / positions.length));
        options.harvester.observe(options.adapterId as string, learner.lora, { embedding: samples.embeddings[s] as Float32Array, quality });
      }
    }
  }
  if (pending > 0) learner.applyUpdates(lr);
  return learner.snapshot();
}

/** Accuracy of the head on a domain's masked characters, with one adapter (or null) per sequence, in batches. */
export function adaptedAccuracy(model: DiffusionLM, samples: DomainSamples, adapters: readonly (LoraWeights | null)[], options: { alpha?: number; batchSize?: number } = {}): { accuracy: number; loss: number; masked: number } {
  const { seqLen, dim, vocabSize: v } = model.config;
  const batchSize = options.batchSize ?? 64;
  const row = new CharRow();
  let right = 0;
  let lossSum = 0;
  let count = 0;
  for (let s = 0; s < samples.tokens.length; s += batchSize) {
    const rows = Math.min(batchSize, samples.tokens.length - s);
    const f = samples.features.subarray(s * seqLen * dim, (s + rows) * seqLen * dim);
    const out = model.forwardHeadBatch(f, adapters.slice(s, s + rows).map((micro) => ({ micro, alpha: options.alpha ?? 1 })));
    out.forEach((o, k) => {
      const clean = samples.clean[s + k] as Int32Array;
      for (const pos of samples.masked[s + k] as Int32Array) {
        const r = row.read(o.logits, pos * v, v);
        const target = clean[pos] as number;
        lossSum -= r.logProb(o.logits, pos * v, target);
        if (r.arg === target) right++;
        count++;
      }
    });
  }
  return { accuracy: count ? right / count : Number.NaN, loss: count ? lossSum / count : Number.NaN, masked: count };
}

/**
 * Splits vectors into k groups by k-means on cosine similarity (seeded k-means++
 * start, 10 rounds): each shard adapter then serves queries that look alike, so
 * its pattern's mean embedding is where retrieval will find it.
 */
export function clusterByEmbedding(vectors: readonly Float32Array[], k: number, seed: Seed = 1): number[][] {
  const n = vectors.length;
  if (n === 0) return Array.from({ length: k }, () => []);
  const rng = new SeededRng(seed);
  const dot = (a: Float32Array, b: Float32Array) => {
    let s = 0;
    for (let j = 0; j < a.length; j++) s += (a[j] as number) * (b[j] as number);
    return s;
  };
  const centres: Float32Array[] = [Float32Array.from(vectors[rng.int(n)] as Float32Array)];
  while (centres.length < Math.min(k, n)) {
    // k-means++: the next centre with probability ∝ distance² to the nearest one.
    const d2 = vectors.map((v) => Math.max(0, 2 - 2 * Math.max(...centres.map((c) => dot(v, c)))));
    let u = rng.next() * d2.reduce((a, x) => a + x, 0);
    let pick = 0;
    for (; pick < n - 1; pick++) if ((u -= d2[pick] as number) <= 0) break;
    centres.push(Float32Array.from(vectors[pick] as Float32Array));
  }
  let assign = new Int32Array(n);
  for (let round = 0; round < 10; round++) {
    assign = Int32Array.from(vectors, (v) => {
      let best = 0;
      for (let c = 1; c < centres.length; c++) if (dot(v, centres[c] as Float32Array) > dot(v, centres[best] as Float32Array)) best = c;
      return best;
    });
    centres.forEach((c, ci) => {
      c.fill(0);
      vectors.forEach((v, i) => {
        if (assign[i] === ci) for (let j = 0; j < c.length; j++) c[j] = (c[j] as number) + (v[j] as number);
      });
      const norm = Math.hypot(...c);
      if (norm > 0) for (let j = 0; j < c.length; j++) c[j] = (c[j] as number) / norm;
    });
  }
  return Array.from({ length: k }, (_, ci) => [...assign.keys()].filter((i) => assign[i] === ci));
}

/**
 * Settings of the committed patterns (scripts/build-patterns.mjs), shared with the bench:
 * training glosses per domain, shard adapters per domain and bank, epochs, learning
 * rate, and the patterns retrieved per bank (k). Chosen on the adaptation table:
 * shard adapters fit on fewer glosses are noisy alone, the mean of ~8 neighbours is not.
 */
export const DEFAULT_HARVEST = { textsPerDomain: 1200, shards: 4, epochs: 3, learningRate: 0.2, rank: 2, k: 8 } as const;

/** Domains the committed patterns cover (WordNet lexicographer files with distinctive vocabulary). */
export const DEFAULT_DOMAINS = ['noun.animal', 'noun.plant', 'noun.food', 'noun.person', 'noun.artifact', 'verb.motion'] as const;

/** Timestep banks of the committed patterns: early (t ≤ 1/3, few masks), middle, late (mostly masked). */
export const DEFAULT_BOUNDARIES: readonly number[] = [0, 1 / 3, 2 / 3, 1];

export interface HarvestDomainsOptions {
  /** Training texts per domain name. */
  texts: Readonly<Record<string, readonly string[]>>;
  boundaries?: readonly number[];
  /** Adapters harvested per domain and bank, each trained on one k-means cluster of the domain's queries. Default DEFAULT_HARVEST.shards. */
  shards?: number;
  epochs?: number;
  learningRate?: number;
  rank?: number;
  /** Harvester window (sequences) and threshold. Defaults 24 and 0.5 (the adapter beats the base on average). */
  window?: number;
  threshold?: number;
  seed?: number;
  /** Also train one adapter per domain and bank on all its texts (the oracle of the adaptation table). */
  oracles?: boolean;
  /** Called after each domain × bank. */
  onProgress?: (p: { bank: number; domain: string; harvested: number; elapsedMs: number }) => void;
  backend?: SimdOps;
}

export interface HarvestedPattern {
  id: string;
  embedding: Float32Array;
  lora: CompressedLora;
  timestepRange: TimestepRange;
  metrics: PatternMetrics;
}

export interface HarvestDomainsResult {
  /** Every harvested pattern, ready for TaloraManager.insert (ids `b<bank>/<domain>:<shard>`). */
  patterns: HarvestedPattern[];
  /** oracles[domain][bank], when asked for. */
  oracles: Record<string, LoraWeights[]>;
}

/**
 * The harvest path for a model's domains: for every timestep bank and domain,
 * `shards` adapters are trained on disjoint clusters (by query embedding) of the domain's texts
 * (trainDomainAdapter), reported query by query to a PatternHarvester, which
 * stores the ones that beat the base model — each with the mean embedding of the
 * queries it served — as int8 patterns of that bank's timestep range.
 */
export async function harvestDomainPatterns(model: DiffusionLM, options: HarvestDomainsOptions): Promise<HarvestDomainsResult> {
  const { MicroLoraBank } = await import('@microlora/bank');
  const { PatternHarvester } = await import('@microlora/learner');
  const boundaries = options.boundaries ?? DEFAULT_BOUNDARIES;
  const shards = options.shards ?? DEFAULT_HARVEST.shards;
  const started = Date.now();
  const patterns: HarvestedPattern[] = [];
  const oracles: Record<string, LoraWeights[]> = {};
  const common = {
    epochs: options.epochs ?? DEFAULT_HARVEST.epochs,
    learningRate: options.learningRate ?? DEFAULT_HARVEST.learningRate,
    rank: options.rank ?? DEFAULT_HARVEST.rank,
    ...(options.backend ? { backend: options.backend } : {}),
  };
  for (let b = 0; b + 1 < boundaries.length; b++) {
    const range: TimestepRange = [boundaries[b] as number, boundaries[b + 1] as number];
    const staging = new MicroLoraBank({ timestepRange: range, maxPatterns: 1 << 16, dimension: model.config.dim });
    const harvester = new PatternHarvester({ bank: staging, window: options.window ?? 24, threshold: options.threshold ?? 0.5, idPrefix: `b${b}/` });
    for (const [domain, texts] of Object.entries(options.texts)) {
      const samples = sampleDomain(model, texts, range, { seed: (options.seed ?? 1) * 1000 + b });
      if (options.oracles) (oracles[domain] ??= [])[b] = trainDomainAdapter(model, samples, { ...common, seed: 1 });
      const groups = clusterByEmbedding(samples.embeddings, shards, (options.seed ?? 1) + b);
      groups.forEach((sequences, k) => {
        if (sequences.length > 0) trainDomainAdapter(model, samples, { ...common, seed: 2 + k, sequences, harvester, adapterId: `${domain}:${k}` });
      });
      options.onProgress?.({ bank: b, domain, harvested: staging.size, elapsedMs: Date.now() - started });
    }
    for (const p of staging.patterns()) patterns.push({ id: p.id, embedding: p.embedding, lora: p.lora, timestepRange: range, metrics: p.metrics });
  }
  return { patterns, oracles };
}
