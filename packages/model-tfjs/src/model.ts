import * as tf from '@tensorflow/tfjs-core';
import { MicroLoraError, SeededRng, assertFiniteNumber, assertTimestep, type LoraWeights } from '@microlora/core';
import type { SimdOps } from '@microlora/simd';
import type { ModelConfig } from './config.js';
import { trunk, type TensorParams } from './forward.js';
import { LoraDense, type FrozenTiers } from './lora-dense.js';
import { CharRow } from './char-logits.js';
import { MASK, PAD, UNK, detokenize, tokenize } from './vocab.js';
import type { ModelWeights } from './weights.js';

/** Adapters of one forward: the per-request micro tier and its α. */
export interface ForwardAdapters {
  /** Tier 3: the composed MicroLoRA of this request (head layer, dim → dim). */
  micro?: LoraWeights | null;
  /** Scale of the micro tier (default 1). */
  alpha?: number;
}

/** One request of a batched forward. */
export interface ForwardRequest extends ForwardAdapters {
  /** seqLen tokens (see tokenize / MASK / PAD). */
  tokens: Int32Array;
  /** Timestep in [0, 1] (the fraction of masked characters). */
  t: number;
}

/** Output of a forward: views, valid as long as you keep them (nothing reuses their buffers). */
export interface ForwardResult {
  /** seqLen × vocabSize logits, row-major. */
  logits: Float32Array;
  /**
   * seqLen × dim trunk output (the head's input). The micro tier acts only on the
   * head, so forwardHead(features, …) re-runs a forward with another adapter
   * without the trunk (what denoising-guided retrieval does).
   */
  features: Float32Array;
  /** seqLen × dim head pre-activations (x·W' + b + α·ΔW_micro x): the learner's output space. */
  preActivation: Float32Array;
}

/** Options of one denoising step. */
export interface DenoiseStepOptions {
  /** Steps left after this one (0 = the last: every masked position is filled). */
  stepsLeft: number;
  /** 0 = greedy argmax (default); > 0 samples from softmax(logits / temperature). */
  temperature?: number;
  /** Random source when sampling. */
  rng?: SeededRng;
}

/**
 * The masked-diffusion character language model: a dilated-convolution trunk
 * (tfjs) and a LoRA-wrapped head layer carrying the three tiers, then the output
 * projection. Create with DiffusionLM.create(weights, { simd }) on the active
 * tfjs backend; dispose() frees its tensors.
 */
export class DiffusionLM {
  readonly config: ModelConfig;
  /** The LoRA-wrapped head layer (dim → dim): where every tier applies. */
  readonly head: LoraDense;
  /** SimdOps whose loraApplyBatch adds the micro tier (the tfjs backend, by default). */
  readonly simd: SimdOps;
  private readonly params: Map<string, tf.Tensor>;
  private readonly outW: tf.Tensor2D;
  private readonly outB: tf.Tensor1D;

  constructor(weights: ModelWeights, simd: SimdOps, tiers: FrozenTiers = {}) {
    this.config = weights.config;
    this.simd = simd;
    this.params = new Map();
    for (const [name, w] of weights.tensors) this.params.set(name, tf.keep(tf.tensor(w.data, [...w.shape])));
    const { dim } = this.config;
    const hw = weights.tensors.get('head_w');
    const hb = weights.tensors.get('head_b');
    if (hw === undefined || hb === undefined) throw new MicroLoraError('CORRUPT_DATA', 'model weights have no head layer');
    this.head = new LoraDense('head', hw.data, hb.data, dim, dim);
    this.head.setTiers(tiers);
    this.outW = this.params.get('out_w') as tf.Tensor2D;
    this.outB = this.params.get('out_b') as tf.Tensor1D;
  }

  /**
   * A model on the active tfjs backend. Without `simd`, the micro tier runs on
   * @microlora/simd-tfjs's backend for the same tfjs backend, as the library's
   * batched path; pass any SimdOps (e.g. the wasm SIMD backend) to choose.
   */
  static async create(weights: ModelWeights, options: { simd?: SimdOps; tiers?: FrozenTiers } = {}): Promise<DiffusionLM> {
    let simd = options.simd;
    if (simd === undefined) {
      const { createTfjsBackend } = await import('@microlora/simd-tfjs/backend');
      simd = await createTfjsBackend({ tfBackend: tf.getBackend() });
    }
    return new DiffusionLM(weights, simd, options.tiers);
  }

  /** The output projection W_out ([dim, vocabSize] row-major, a copy). */
  outputWeights(): Float32Array {
    return this.outW.dataSync().slice() as Float32Array;
  }

  /** The output bias b_out (vocabSize, a copy). */
  outputBias(): Float32Array {
    return this.outB.dataSync().slice() as Float32Array;
  }

  /** The trunk params (read-only tensors; for evaluation helpers). */
  get tensors(): TensorParams {
    return this.params;
  }

  /** seqLen tokens of text (cut or PAD-padded). */
  tokenize(text: string): Int32Array {
    return tokenize(text, this.config.seqLen);
  }

  /** Text of tokens (PAD ends it; a still-masked position shows as `maskChar`). */
  decode(tokens: ArrayLike<number>, maskChar = '_'): string {
    return detokenize(tokens, maskChar);
  }

  /**
   * The model's embedding of a query: the mean over its characters of the trunk
   * output at timestep t (default 0: nothing masked), L2-normalised. Length dim.
   * Accepts text or seqLen tokens (masked tokens allowed).
   */
  embedQuery(query: string | Int32Array, t = 0): Float32Array {
    const tokens = typeof query === 'string' ? this.tokenize(query) : query;
    const features = this.trunkFeatures([tokens], [t]);
    return this.poolFeatures(tokens, features);
  }

  /** Mean of the features of tokens' non-PAD positions, L2-normalised (embedQuery from a forward's features). */
  poolFeatures(tokens: Int32Array, features: Float32Array, offset = 0): Float32Array {
    const { dim, seqLen } = this.config;
    const out = new Float32Array(dim);
    let n = 0;
    for (let i = 0; i < seqLen; i++) {
      if (tokens[i] === PAD) continue;
      n++;
      const row = offset + i * dim;
      for (let j = 0; j < dim; j++) out[j] = (out[j] as number) + (features[row + j] as number);
    }
    let norm = 0;
    for (let j = 0; j < dim; j++) norm += (out[j] as number) ** 2;
    norm = Math.sqrt(norm);
    if (n === 0 || !(norm > 0)) {
      throw new MicroLoraError('INVALID_ARGUMENT', 'cannot embed an empty query (every position is PAD)');
    }
    for (let j = 0; j < dim; j++) out[j] = (out[j] as number) / norm;
    return out;
  }

  /** Trunk output [rows·seqLen × dim] of several sequences. */
  trunkFeatures(tokens: readonly Int32Array[], t: readonly number[]): Float32Array {
    const { seqLen } = this.config;
    const flat = new Int32Array(tokens.length * seqLen);
    tokens.forEach((seq, r) => {
      this.checkTokens(seq, `tokens[${r}]`);
      assertTimestep(t[r] as number);
      flat.set(seq, r * seqLen);
    });
    return tf.tidy(() => trunk(this.config, this.params, tf.tensor1d(flat, 'int32'), t).dataSync() as Float32Array);
  }

  /** One forward: logits of every position with the micro tier (and the frozen tiers) applied. */
  forwardWithLora(tokens: Int32Array, t: number, adapters: ForwardAdapters = {}): ForwardResult {
    const [result] = this.forwardBatch([{ tokens, t, ...adapters }]);
    return result as ForwardResult;
  }

  /**
   * A batch of requests, each with its own micro adapter and α: one trunk pass,
   * one frozen-tier matMul, and one loraApplyBatch for the micro tier.
   */
  forwardBatch(requests: readonly ForwardRequest[]): ForwardResult[] {
    const features = this.trunkFeatures(
      requests.map((r) => r.tokens),
      requests.map((r) => r.t),
    );
    return this.headBatch(features, requests);
  }

  /** The head (all tiers) and output layer for trunk features of one sequence: a forward without the trunk. */
  forwardHead(features: Float32Array, adapters: ForwardAdapters = {}): ForwardResult {
    const [result] = this.headBatch(features, [adapters]);
    return result as ForwardResult;
  }

  /**
   * The head for the trunk features of requests.length sequences (rows·seqLen × dim),
   * each with its own adapters: one frozen-tier matMul and one loraApplyBatch.
   */
  forwardHeadBatch(features: Float32Array, requests: readonly ForwardAdapters[]): ForwardResult[] {
    return this.headBatch(features, requests);
  }

  private headBatch(features: Float32Array, requests: readonly ForwardAdapters[]): ForwardResult[] {
    const { seqLen, dim, vocabSize } = this.config;
    const rows = requests.length * seqLen;
    if (features.length !== rows * dim) {
      throw new MicroLoraError('DIMENSION_MISMATCH', `features must hold ${rows}×${dim} values, got ${features.length}`);
    }
    const pre = tf.tidy(() => this.head.applyFrozen(tf.tensor2d(features, [rows, dim])).dataSync() as Float32Array);
    const adapters: LoraWeights[] = [];
    const alphas: number[] = [];
    const index = new Int32Array(rows).fill(-1);
    requests.forEach((r, k) => {
      if (r.micro == null) return;
      const alpha = r.alpha ?? 1;
      assertFiniteNumber(`alpha of request ${k}`, alpha);
      index.fill(adapters.length, k * seqLen, (k + 1) * seqLen);
      adapters.push(r.micro);
      alphas.push(alpha);
    });
    this.head.applyMicro(this.simd, adapters, alphas, index, features, pre, rows);
    const logits = tf.tidy(() => tf.fused.matMul({ a: tf.relu(tf.tensor2d(pre, [rows, dim])), b: this.outW, bias: this.outB }).dataSync() as Float32Array);
    return requests.map((_, k) => ({
      // Views: logits and pre are this call's own arrays; features stays the caller's.
      logits: logits.subarray(k * seqLen * vocabSize, (k + 1) * seqLen * vocabSize),
      features: features.subarray(k * seqLen * dim, (k + 1) * seqLen * dim),
      preActivation: pre.subarray(k * seqLen * dim, (k + 1) * seqLen * dim),
    }));
  }

  /**
   * One reverse-diffusion step: fills ⌈masked / (stepsLeft + 1)⌉ of the masked
   * positions — the most confident first — with their argmax character (or a
   * sample at `temperature`), so the last step (stepsLeft 0) fills them all.
   * PAD and MASK are never written. Returns new tokens (the input is kept).
   */
  denoiseStep(tokens: Int32Array, logits: Float32Array, options: DenoiseStepOptions): Int32Array {
    const { seqLen, vocabSize: v } = this.config;
    this.checkTokens(tokens, 'tokens');
    if (logits.length !== seqLen * v) throw new MicroLoraError('DIMENSION_MISMATCH', `logits must hold ${seqLen}×${v} values`);
    const temperature = options.temperature ?? 0;
    assertFiniteNumber('temperature', temperature, 0);
    const stepsLeft = options.stepsLeft;
    if (!Number.isInteger(stepsLeft) || stepsLeft < 0) throw new MicroLoraError('INVALID_ARGUMENT', `stepsLeft must be an integer ≥ 0, got ${stepsLeft}`);
    const out = Int32Array.from(tokens);
    const rng = temperature > 0 ? (options.rng ?? new SeededRng(1)) : undefined;
    const row = new CharRow();
    const candidates: Array<{ pos: number; id: number; confidence: number }> = [];
    for (let i = 0; i < seqLen; i++) {
      if (tokens[i] !== MASK) continue;
      const offset = i * v;
      const r = row.read(logits, offset, v);
      let id = r.arg;
      if (rng !== undefined) {
        let total = 0;
        for (let c = UNK; c < v; c++) total += Math.exp(((logits[offset + c] as number) - r.max) / temperature);
        let u = rng.next() * total;
        for (let c = UNK; c < v; c++) {
          u -= Math.exp(((logits[offset + c] as number) - r.max) / temperature);
          id = c;
          if (u <= 0) break;
        }
      }
      candidates.push({ pos: i, id, confidence: Math.exp(r.logProb(logits, offset, id)) });
    }
    const fill = Math.ceil(candidates.length / (stepsLeft + 1));
    candidates.sort((a, b) => b.confidence - a.confidence || a.pos - b.pos);
    for (let k = 0; k < fill; k++) {
      const c = candidates[k] as { pos: number; id: number };
      out[c.pos] = c.id;
    }
    return out;
  }

  private checkTokens(tokens: Int32Array, name: string): void {
    if (!(tokens instanceof Int32Array) || tokens.length !== this.config.seqLen) {
      throw new MicroLoraError('DIMENSION_MISMATCH', `${name} must be an Int32Array of seqLen ${this.config.seqLen} tokens`);
    }
    for (let i = 0; i < tokens.length; i++) {
      const id = tokens[i] as number;
      if (!(id >= 0 && id < this.config.vocabSize)) {
        throw new MicroLoraError('OUT_OF_RANGE', `${name}[${i}] = ${id} is not a token id (0 … ${this.config.vocabSize - 1})`);
      }
    }
  }

  dispose(): void {
    for (const t of this.params.values()) t.dispose();
    this.params.clear();
    this.head.dispose();
  }
}
