import { MicroLoraError, SeededRng, assertFiniteNumber, assertInteger, type LoraWeights } from '@microlora/core';
import { composeExact } from '@microlora/composer';
import type { OnlineLearner, PatternHarvester } from '@microlora/learner';
import type { TaloraManager } from '@microlora/talora';
import type { DiffusionLM, ForwardResult } from './model.js';
import { CharRow, backpropToPreActivation } from './char-logits.js';
import { MASK, PAD, UNK } from './vocab.js';

/** Denoising-guided retrieval (DGR) settings. */
export interface DgrConfig {
  /** Default true. */
  enabled?: boolean;
  /**
   * Fire when the step's normalised entropy — the mean entropy of the still-masked
   * positions divided by ln(characters), in [0, 1] — exceeds this. Default 0.6.
   */
  threshold?: number;
  /** Retrievals per request at most. Default 2. */
  maxRetrievals?: number;
  /** Weight of the retrieved adapter in the merge (1 − weight stays on the step's adapter). Default 0.5. */
  weight?: number;
}

export interface GenerationConfig {
  /** Masked characters appended to the query and denoised. Default 32 (cut to fit seqLen). */
  maxNewTokens?: number;
  /** Diffusion steps. Default 16. */
  steps?: number;
  /** α of the micro tier. Default 1. */
  alpha?: number;
  /** 0 = greedy (default). */
  temperature?: number;
  seed?: number;
  /** false: the base model — no TALoRA adapter, no personal adapter, no DGR. Default true. */
  adapt?: boolean;
  dgr?: DgrConfig;
}

/** What happened at one diffusion step (for the learner and for inspection). */
export interface TrajectoryStep {
  step: number;
  t: number;
  /** Ids of the patterns in this step's adapter (TALoRA, plus DGR's when it merged). */
  sources: string[];
  /** Normalised entropy of the step's first forward (see DgrConfig.threshold). */
  entropy: number;
  /** DGR retrieved at this step. */
  dgr: boolean;
  /** DGR's retrieval brought patterns not already used, and the step was re-forwarded. */
  dgrMerged: boolean;
  /** Normalised entropy after the DGR re-forward (= entropy when it did not re-forward). */
  entropyAfter: number;
  latencyMs: number;
}

/** One filled position: what the learner needs to credit or blame it. */
export interface FilledPosition {
  pos: number;
  token: number;
  /** The head input at that position (dim). */
  features: Float32Array;
  /** The head pre-activation with the adapter (dim). */
  preActivation: Float32Array;
  /** softmax of the logits (vocabSize). */
  probs: Float32Array;
}

export interface Trajectory {
  query: string;
  embedding: Float32Array;
  steps: TrajectoryStep[];
  filled: FilledPosition[];
  dgrRetrievals: number;
  latencyMs: number;
}

export interface GenerationResult {
  text: string;
  /** The query and the generated characters. */
  fullText: string;
  tokens: Int32Array;
  latencyMs: number;
  tokensGenerated: number;
  trajectory: Trajectory;
}

export interface MicroLoraInferenceOptions {
  model: DiffusionLM;
  talora: TaloraManager;
  /** Query embedder; its dimension must be the banks'. Default model.embedQuery (dim). */
  embed?: (query: string) => Float32Array;
  /** A personal adapter learnt from feedback, merged into every step's adapter. Optional. */
  learner?: OnlineLearner;
  /** Learning rate of the learner per feedback. Default 0.05. */
  learningRate?: number;
  /** Turns well-rated personal adapters into patterns. Optional. */
  harvester?: PatternHarvester;
  /** Called with every finished trajectory. */
  onTrajectory?: (trajectory: Trajectory) => void;
}

export interface FeedbackResult {
  /** Patterns whose metrics were updated. */
  patterns: number;
  /** Learner events queued and applied (0 without a learner). */
  learnerEvents: number;
  /** Id of the pattern harvested from the personal adapter, if any. */
  harvested?: string;
}

/** Mean entropy of the still-masked positions over ln(characters): in [0, 1], 0 when nothing is masked (never 0/0). */
function entropyOfMasked(model: DiffusionLM, tokens: Int32Array, logits: Float32Array, row: CharRow): number {
  const { seqLen, vocabSize: v } = model.config;
  let sum = 0;
  let n = 0;
  for (let i = 0; i < seqLen; i++) {
    if (tokens[i] !== MASK) continue;
    sum += row.read(logits, i * v, v, true).entropy;
    n++;
  }
  return n === 0 ? 0 : sum / n / Math.log(v - UNK);
}

/**
 * Generation with per-request adaptation — the reference document's
 * MicroLoraInference: for each diffusion step t, TALoRA's adapter for the query
 * at t, a forward with it, denoising-guided retrieval when the step is uncertain
 * (re-running only the head: the adapter acts there), then a denoising step.
 * The trajectory (embedding, adapters, entropies, latencies) goes to the learner.
 */
export class MicroLoraInference {
  readonly model: DiffusionLM;
  readonly talora: TaloraManager;
  readonly learner: OnlineLearner | undefined;
  readonly harvester: PatternHarvester | undefined;
  private readonly embed: (query: string) => Float32Array;
  private readonly learningRate: number;
  private readonly onTrajectory: ((t: Trajectory) => void) | undefined;

  constructor(options: MicroLoraInferenceOptions) {
    if (typeof options !== 'object' || options === null) throw new MicroLoraError('INVALID_ARGUMENT', 'options must be { model, talora, … }');
    this.model = options.model;
    this.talora = options.talora;
    this.learner = options.learner;
    this.harvester = options.harvester;
    this.embed = options.embed ?? ((q) => this.model.embedQuery(q));
    this.learningRate = options.learningRate ?? 0.05;
    assertFiniteNumber('learningRate', this.learningRate, 0);
    this.onTrajectory = options.onTrajectory;
    const dim = this.model.config.dim;
    if (this.learner !== undefined && (this.learner.inFeatures !== dim || this.learner.outFeatures !== dim)) {
      throw new MicroLoraError('DIMENSION_MISMATCH', `the learner must be ${dim}→${dim} (the model's head layer)`);
    }
  }

  /** Generates `maxNewTokens` characters after `query` (see GenerationConfig). */
  generate(query: string, config: GenerationConfig = {}): GenerationResult {
    if (typeof query !== 'string' || query.length === 0) throw new MicroLoraError('INVALID_ARGUMENT', 'query must be a non-empty string');
    const { seqLen } = this.model.config;
    if (query.length >= seqLen) {
      throw new MicroLoraError('LIMIT_EXCEEDED', `query is ${query.length} characters; the model reads ${seqLen}, leave room to generate`, {
        details: { limit: seqLen - 1 },
      });
    }
    const newTokens = Math.min(config.maxNewTokens ?? 32, seqLen - query.length);
    assertInteger('maxNewTokens', newTokens, 1, seqLen);
    const tokens = this.model.tokenize(query);
    tokens.fill(MASK, query.length, query.length + newTokens);
    tokens.fill(PAD, query.length + newTokens);
    const result = this.denoise(tokens, config, query);
    const text = this.model.decode(result.tokens.subarray(query.length));
    return { ...result, text, fullText: this.model.decode(result.tokens) };
  }

  /**
   * The diffusion loop on any partially masked sequence (generate's core; also
   * infilling). The query embedding is `embedding`, else the embedder's of `query`.
   */
  denoise(start: Int32Array, config: GenerationConfig = {}, query = '', embedding?: Float32Array): Omit<GenerationResult, 'text' | 'fullText'> {
    const began = performance.now();
    const model = this.model;
    const { vocabSize: v, dim } = model.config;
    const steps = config.steps ?? 16;
    assertInteger('steps', steps, 1, 1024);
    const alpha = config.alpha ?? 1;
    assertFiniteNumber('alpha', alpha);
    const adapt = config.adapt ?? true;
    const dgr = config.dgr ?? {};
    const dgrOn = adapt && (dgr.enabled ?? true);
    const threshold = dgr.threshold ?? 0.6;
    assertFiniteNumber('dgr.threshold', threshold, 0, 1);
    const maxRetrievals = dgr.maxRetrievals ?? 2;
    assertInteger('dgr.maxRetrievals', maxRetrievals, 0, 1024);
    const dgrWeight = dgr.weight ?? 0.5;
    assertFiniteNumber('dgr.weight', dgrWeight, 0, 1);
    const rng = new SeededRng(config.seed ?? 1);
    const emb = embedding ?? this.embed(query);
    const personal = adapt ? this.learner?.lora : undefined;

    let tokens: Int32Array = Int32Array.from(start);
    const masked0 = tokens.reduce((n, id) => n + (id === MASK ? 1 : 0), 0);
    const trajectory: Trajectory = { query, embedding: emb, steps: [], filled: [], dgrRetrievals: 0, latencyMs: 0 };
    for (let step = steps - 1; step >= 0; step--) {
      const stepStart = performance.now();
      const t = step / steps;
      let micro: LoraWeights | null = null;
      let sources: string[] = [];
      if (adapt && this.talora.size > 0) {
        const got = this.talora.getAdapterWithSources(emb, t);
        micro = got.adapter;
        sources = got.sources.map((s) => s.id);
      }
      micro = this.withPersonal(micro, personal);
      let out: ForwardResult = model.forwardWithLora(tokens, t, { micro, alpha });
      const entropy = entropyOfMasked(model, tokens, out.logits, this.row);
      let entropyAfter = entropy;
      let fired = false;
      let merged = false;
      if (dgrOn && entropy > threshold && trajectory.dgrRetrievals < maxRetrievals && this.talora.size > 0) {
        fired = true;
        trajectory.dgrRetrievals++;
        // Retrieve with what the model now sees: the pooled features of the partly denoised sequence.
        const refined = model.poolFeatures(tokens, out.features);
        const extra = this.talora.getAdapterWithSources(refined, t);
        const fresh = extra.sources.filter((s) => !sources.includes(s.id));
        if (fresh.length > 0) {
          merged = true;
          const augmented = micro === null ? extra.adapter : composeExact([{ lora: micro, score: 1 }, { lora: extra.adapter, score: 1 }], [1 - dgrWeight, dgrWeight]);
          sources = [...sources, ...fresh.map((s) => s.id)];
          micro = augmented;
          out = model.forwardHead(out.features, { micro, alpha });
          entropyAfter = entropyOfMasked(model, tokens, out.logits, this.row);
        }
      }
      const next = model.denoiseStep(tokens, out.logits, { stepsLeft: step, temperature: config.temperature ?? 0, rng });
      for (let i = 0; i < next.length; i++) {
        if (tokens[i] !== MASK || next[i] === MASK) continue;
        trajectory.filled.push({
          pos: i,
          token: next[i] as number,
          features: out.features.slice(i * dim, (i + 1) * dim),
          preActivation: out.preActivation.slice(i * dim, (i + 1) * dim),
          probs: this.row.read(out.logits, i * v, v).probsInto(out.logits, i * v, v, new Float32Array(v)),
        });
      }
      tokens = next;
      trajectory.steps.push({ step, t, sources, entropy, dgr: fired, dgrMerged: merged, entropyAfter, latencyMs: performance.now() - stepStart });
    }
    trajectory.latencyMs = performance.now() - began;
    this.onTrajectory?.(trajectory);
    return { tokens, latencyMs: trajectory.latencyMs, tokensGenerated: masked0, trajectory };
  }

  /** The step's adapter plus the personal one (exact rank stacking; either may be missing). */
  private withPersonal(micro: LoraWeights | null, personal: LoraWeights | undefined): LoraWeights | null {
    if (personal === undefined) return micro;
    if (micro === null) return personal;
    return composeExact([{ lora: micro, score: 1 }, { lora: personal, score: 1 }], [1, 1]);
  }

  /**
   * Feedback on a generation (quality in [0, 1], e.g. 👍 = 1, 👎 = 0): updates the
   * metrics of every pattern it used, and — with a learner — takes a policy-gradient
   * step on the personal adapter: each generated character's log-probability is
   * pushed up by (quality − baseline), so 👍 makes that output likelier and 👎 less
   * likely. With a harvester, a personal adapter that keeps being liked becomes a pattern.
   */
  feedback(result: Pick<GenerationResult, 'trajectory'>, quality: number): FeedbackResult {
    assertFiniteNumber('quality', quality, 0, 1);
    const trajectory = result?.trajectory;
    if (trajectory === undefined || !Array.isArray(trajectory.steps)) throw new MicroLoraError('INVALID_ARGUMENT', 'pass the result of generate()');
    const used = new Set(trajectory.steps.flatMap((s) => s.sources));
    let patterns = 0;
    for (const id of used) {
      if (!this.talora.has(id)) continue; // evicted since
      this.talora.updateMetrics(id, { quality });
      patterns++;
    }
    let learnerEvents = 0;
    let harvested: string | undefined;
    const learner = this.learner;
    if (learner !== undefined && trajectory.filled.length > 0) {
      const { dim, vocabSize: v } = this.model.config;
      const outW = this.outWeights();
      const g = new Float32Array(dim);
      const dLogits = new Float32Array(v);
      for (const f of trajectory.filled) {
        // ∂ log p(token) / ∂ pre-activation = (W_out (e_token − p)) ⊙ relu′(pre).
        for (let c = 0; c < v; c++) dLogits[c] = (c === f.token ? 1 : 0) - (f.probs[c] as number);
        backpropToPreActivation(outW, v, f.preActivation, dLogits, g);
        learner.adapt(f.features, { quality, logProbGradient: g });
        learnerEvents++;
      }
      learner.applyUpdates(this.learningRate);
      harvested = this.harvester?.observe('personal', learner.lora, { embedding: trajectory.embedding, quality })?.id;
    }
    return { patterns, learnerEvents, ...(harvested === undefined ? {} : { harvested }) };
  }

  /** Row statistics scratch (entropy, probabilities), reused across steps. */
  private readonly row = new CharRow();
  private outWeightsCache: Float32Array | undefined;
  private outWeights(): Float32Array {
    this.outWeightsCache ??= this.model.outputWeights();
    return this.outWeightsCache;
  }
}
