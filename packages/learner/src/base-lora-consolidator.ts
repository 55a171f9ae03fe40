import {
  MicroLoraError,
  SeededRng,
  assertFiniteNumber,
  assertInteger,
  assertLoraShape,
  cloneLora,
  createLora,
  type LoraWeights,
  type Seed,
} from '@microlora/core';
import { getBackend, type SimdOps } from '@microlora/simd';
import type { ConsolidationTask } from './consolidation-task.js';
import { EwcState, type EwcOptions } from './ewc.js';
import { yieldToEventLoop } from './yield-to-event-loop.js';

/** Default rank of a BaseLoRA (the spec's tier 2 uses 8–16). */
export const DEFAULT_BASE_RANK = 8;

export interface BaseLoraOptions {
  inFeatures: number;
  outFeatures: number;
  /** Default 8 (8–16 is the intended range). */
  rank?: number;
  /** Default 2·rank. */
  alpha?: number;
  /** Seed of the initialisation and of the sample stream. Default 1. */
  seed?: Seed;
  /**
   * Step size as a fraction of the inverse running mean curvature of the loss
   * (s²‖x‖²(‖A‖²_F/in + ‖Bᵀê‖²)): unit-free, stable below ~1. Default 0.3.
   */
  learningRate?: number;
  /** Samples averaged per step. Default 8. */
  batchSize?: number;
  /** EWC++ regularisation; omitted or false: none. */
  ewc?: EwcOptions | false;
  backend?: SimdOps;
}

export interface TrainOptions {
  /** Optimiser steps (each of batchSize samples). */
  steps: number;
  /** Steps between yields to the event loop (and progress reports). Default 32. */
  chunkSize?: number;
  onProgress?: (progress: ConsolidationProgress) => void;
  /** Stops after the current chunk; train() then resolves with `aborted: true`. */
  signal?: { readonly aborted: boolean };
  /**
   * Mark the end of a task when done (EWC++: fold its Fisher in and anchor the
   * weights). Default true.
   */
  endTask?: boolean;
}

export interface ConsolidationProgress {
  step: number;
  steps: number;
  /** Mean squared error ‖Δ(x) − target‖² over the samples of the last chunk. */
  loss: number;
}

export interface ConsolidationReport {
  steps: number;
  samples: number;
  /** Mean squared error over the last chunk. */
  loss: number;
  aborted: boolean;
}

const CURVATURE_DECAY = 0.99;

/**
 * Tier 2 of the system: a rank 8–16 BaseLoRA trained in the background from
 * harvested patterns (see patternDistillationTask), in chunks that yield to
 * the event loop, with optional EWC++ so that consolidating new patterns does
 * not erase what earlier ones taught. Each step averages the exact chain-rule
 * gradient of ½‖Δ(x) − target‖² over a batch, scales it by learningRate over
 * the running mean curvature, then takes the proximal step of the EWC++ penalty.
 */
export class BaseLoraConsolidator {
  readonly lora: LoraWeights;
  readonly backend: SimdOps;
  readonly learningRate: number;
  readonly batchSize: number;
  readonly ewc: EwcState | undefined;
  private readonly rng: SeededRng;
  private readonly input: Float32Array;
  private readonly target: Float32Array;
  private readonly error: Float32Array;
  private readonly u: Float32Array;
  private readonly v: Float32Array;
  private readonly bNormSq: Float64Array;
  private readonly gradA: Float32Array;
  private readonly gradB: Float32Array;
  private readonly gradARows: Float32Array[];
  private readonly gradBRows: Float32Array[];
  private readonly bRows: Float32Array[];
  private curvatureEma = 0;
  private curvatureWeight = 0;
  private running = false;
  private stepsDone = 0;

  constructor(options: BaseLoraOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new MicroLoraError('INVALID_ARGUMENT', 'BaseLoraConsolidator options must be an object { inFeatures, outFeatures, … }');
    }
    const rank = options.rank ?? DEFAULT_BASE_RANK;
    const shape = { rank, inFeatures: options.inFeatures, outFeatures: options.outFeatures };
    assertLoraShape(shape);
    const learningRate = options.learningRate ?? 0.3;
    assertFiniteNumber('learningRate', learningRate, 0, 2);
    const batchSize = options.batchSize ?? 8;
    assertInteger('batchSize', batchSize, 1, 1 << 20);
    const seed = options.seed ?? 1;
    this.backend = options.backend ?? getBackend();
    this.lora = createLora({ ...shape, seed, ...(options.alpha === undefined ? {} : { alpha: options.alpha }) });
    this.learningRate = learningRate;
    this.batchSize = batchSize;
    const { inFeatures: n, outFeatures: m } = shape;
    this.ewc = options.ewc === undefined || options.ewc === false ? undefined : new EwcState(options.ewc, rank * n, rank * m);
    this.rng = new SeededRng(typeof seed === 'number' ? seed ^ 0x5bd1e995 : `${seed}/samples`);
    this.input = new Float32Array(n);
    this.target = new Float32Array(m);
    this.error = new Float32Array(m);
    this.u = new Float32Array(rank);
    this.v = new Float32Array(rank);
    this.bNormSq = new Float64Array(rank);
    this.gradA = new Float32Array(rank * n);
    this.gradB = new Float32Array(rank * m);
    this.gradARows = rows(this.gradA, rank, n);
    this.gradBRows = rows(this.gradB, rank, m);
    this.bRows = rows(this.lora.b, rank, m);
  }

  /** Optimiser steps taken so far. */
  get steps(): number {
    return this.stepsDone;
  }

  /**
   * Trains on a task for `steps` steps, yielding to the event loop every
   * `chunkSize` steps. One training run at a time (a second concurrent call
   * throws INVALID_ARGUMENT).
   */
  async train(task: ConsolidationTask, options: TrainOptions): Promise<ConsolidationReport> {
    this.assertTask(task);
    if (typeof options !== 'object' || options === null) throw new MicroLoraError('INVALID_ARGUMENT', 'train options must be an object { steps, … }');
    assertInteger('steps', options.steps, 0, Number.MAX_SAFE_INTEGER);
    const chunkSize = options.chunkSize ?? 32;
    assertInteger('chunkSize', chunkSize, 1, Number.MAX_SAFE_INTEGER);
    if (options.onProgress !== undefined && typeof options.onProgress !== 'function') {
      throw new MicroLoraError('INVALID_ARGUMENT', 'onProgress must be a function');
    }
    if (this.running) throw new MicroLoraError('INVALID_ARGUMENT', 'this consolidator is already training; await the running train() first');
    this.running = true;
    let done = 0;
    let loss = Number.NaN;
    let aborted = false;
    try {
      while (done < options.steps) {
        if (options.signal?.aborted === true) {
          aborted = true;
          break;
        }
        const chunk = Math.min(chunkSize, options.steps - done);
        let sum = 0;
        for (let i = 0; i < chunk; i++) sum += this.step(task);
        done += chunk;
        loss = sum / (chunk * this.batchSize);
        options.onProgress?.({ step: done, steps: options.steps, loss });
        if (done < options.steps) await yieldToEventLoop();
      }
      if (!aborted && done > 0 && options.endTask !== false) this.endTask();
    } finally {
      this.running = false;
    }
    return { steps: done, samples: done * this.batchSize, loss, aborted };
  }

  /**
   * Task boundary for EWC++: folds the current task's Fisher into the
   * consolidated one and anchors the penalty at the current weights.
   */
  endTask(): void {
    this.ewc?.consolidate(this.lora.a, this.lora.b);
  }

  /** Mean squared error ‖Δ(x) − target‖² over `samples` pairs drawn with `seed` (does not train). */
  evaluate(task: ConsolidationTask, samples = 256, seed: Seed = 12345): number {
    this.assertTask(task);
    assertInteger('samples', samples, 1, Number.MAX_SAFE_INTEGER);
    const rng = new SeededRng(seed);
    let total = 0;
    for (let i = 0; i < samples; i++) {
      task.sample(rng, this.input, this.target);
      total += this.forwardError();
    }
    return total / samples;
  }

  /** A copy of the current BaseLoRA. */
  snapshot(): LoraWeights {
    return cloneLora(this.lora);
  }

  /** One optimiser step over a batch; returns the batch's summed squared error. */
  private step(task: ConsolidationTask): number {
    const { rank, inFeatures: n, scaling: s, a, b } = this.lora;
    const backend = this.backend;
    this.gradA.fill(0);
    this.gradB.fill(0);
    const aNormSq = backend.dot(a, a);
    for (let r = 0; r < rank; r++) {
      const row = this.bRows[r] as Float32Array;
      this.bNormSq[r] = backend.dot(row, row);
    }
    let sumError = 0;
    for (let k = 0; k < this.batchSize; k++) {
      task.sample(this.rng, this.input, this.target);
      const errorSq = this.forwardError();
      if (!Number.isFinite(errorSq)) {
        throw new MicroLoraError('NON_FINITE', 'a training sample or the BaseLoRA produced a non-finite value; check the task inputs and targets');
      }
      sumError += errorSq;
      const x = this.input;
      const e = this.error;
      backend.gemv(b, rank, this.lora.outFeatures, e, this.v);
      const xx = backend.dot(x, x);
      let vv = 0;
      for (let r = 0; r < rank; r++) {
        const vr = this.v[r] as number;
        vv += vr * vr;
        backend.axpy(s * vr, x, this.gradARows[r] as Float32Array);
        backend.axpy(s * (this.u[r] as number), e, this.gradBRows[r] as Float32Array);
      }
      if (errorSq > 0) {
        const curvature = s * s * xx * (aNormSq / n + vv / errorSq);
        this.curvatureEma = CURVATURE_DECAY * this.curvatureEma + (1 - CURVATURE_DECAY) * curvature;
        this.curvatureWeight = CURVATURE_DECAY * this.curvatureWeight + (1 - CURVATURE_DECAY);
      }
      this.ewc?.observe(x, this.u, this.bNormSq, s, rank);
    }
    if (this.curvatureWeight > 0) {
      const stepSize = this.learningRate / (this.curvatureEma / this.curvatureWeight);
      backend.axpy(-stepSize / this.batchSize, this.gradA, a);
      backend.axpy(-stepSize / this.batchSize, this.gradB, b);
      this.ewc?.applyPenalty(a, b, stepSize);
    }
    this.stepsDone++;
    return sumError;
  }

  /** error = Δ(input) − target, u = A·input; returns ‖error‖². */
  private forwardError(): number {
    const { rank, inFeatures: n, outFeatures: m, scaling: s, a } = this.lora;
    this.backend.gemv(a, rank, n, this.input, this.u);
    const e = this.error;
    for (let o = 0; o < m; o++) e[o] = -(this.target[o] as number);
    for (let r = 0; r < rank; r++) this.backend.axpy(s * (this.u[r] as number), this.bRows[r] as Float32Array, e);
    return this.backend.dot(e, e);
  }

  private assertTask(task: ConsolidationTask): void {
    if (typeof task !== 'object' || task === null || typeof task.sample !== 'function') {
      throw new MicroLoraError('INVALID_ARGUMENT', 'task must be a ConsolidationTask { inFeatures, outFeatures, sample(rng, input, target) }');
    }
    if (task.inFeatures !== this.lora.inFeatures || task.outFeatures !== this.lora.outFeatures) {
      throw new MicroLoraError(
        'DIMENSION_MISMATCH',
        `the task maps ${task.inFeatures}→${task.outFeatures} but the BaseLoRA maps ${this.lora.inFeatures}→${this.lora.outFeatures}`,
      );
    }
  }
}

function rows(matrix: Float32Array, rank: number, width: number): Float32Array[] {
  return Array.from({ length: rank }, (_, r) => matrix.subarray(r * width, (r + 1) * width));
}
