import {
  MicroLoraError,
  assertFiniteNumber,
  assertFloat32Array,
  assertLength,
  cloneLora,
  createLora,
  findNonFinite,
  loraFromFactors,
  loraParamCount,
  type LoraWeights,
} from '@microlora/core';
import { getBackend, type SimdOps } from '@microlora/simd';
import { ExplorationMemory } from './exploration-memory.js';
import { addExplorationNoise, fillExplorationNoise, seedToU32 } from './exploration-noise.js';
import { productFrobeniusSquared } from './delta-norm.js';
import { resolveLearnerOptions, type OnlineLearnerOptions, type ResolvedLearnerOptions, type StepRule } from './options.js';
import { QualityBaseline } from './quality-baseline.js';
import { STEP_LIMIT, StepQueue } from './step-queue.js';

/**
 * One feedback event. Give at most one of `gradient`, `target` and
 * `logProbGradient`; `quality` alone is learnt from through exploration.
 */
export interface LearnerFeedback {
  /** Quality in [0, 1]. Feeds stats and the baseline; drives policy-gradient and exploration updates. */
  quality?: number;
  /** ∂loss/∂output (length outFeatures): an exact chain-rule descent step. */
  gradient?: Float32Array;
  /** Desired adapted output: the loss ½‖base + Δ(x) − target‖² (base defaults to 0, i.e. the target is for Δ). */
  target?: Float32Array;
  /** The base output the adapter's delta is added to (only with `target`). */
  base?: Float32Array;
  /**
   * ∂ log p(what was produced) / ∂output. With `quality`: a policy-gradient step,
   * ascending (quality − baseline) × this gradient.
   */
  logProbGradient?: Float32Array;
  /** Weight of the event in the mean applied by applyUpdates (default 1). */
  weight?: number;
}

/**
 * What an adapt() call contributed:
 * 'gradient' | 'target' | 'policy' | 'exploration' — a step was queued (it may be
 * zero, e.g. a zero advantage; it still counts in the mean);
 * 'none' — no direction could be learnt: a quality alone, with no explored
 * apply() of this input remembered. Nothing is queued.
 */
export type AdaptOutcome = 'gradient' | 'target' | 'policy' | 'exploration' | 'none';

export interface LearnerStats {
  /** adapt() calls accepted. */
  samplesSeen: number;
  /** adapt() calls that carried a quality. */
  qualitySamples: number;
  /** Mean quality over qualitySamples (0 before any). */
  avgQuality: number;
  /** The REINFORCE baseline (0.5 before any quality). */
  baseline: number;
  /** Events queued and not yet applied. */
  pendingUpdates: number;
  /** applyUpdates() calls that changed the weights. */
  updatesApplied: number;
  /** Events whose step was shortened to clipNorm. */
  clippedEvents: number;
  /** adapt() calls that carried no learnable direction ('none'). */
  uninformativeEvents: number;
  /** ‖ΔW‖_F = ‖scaling · B · A‖_F of the current weights. */
  deltaNorm: number;
  /** Trainable parameters: rank × (in + out). */
  paramCount: number;
  /** Bytes of every buffer the learner holds (weights, initial copy, pending, scratch, memory). */
  memoryBytes: number;
}

/** The complete mutable state, for persistence (see exportState / fromState). */
export interface LearnerState {
  rank: number;
  inFeatures: number;
  outFeatures: number;
  alpha: number;
  a: Float32Array;
  b: Float32Array;
  initialA: Float32Array;
  initialB: Float32Array;
  /** Σ of the queued steps (dense; before the learning rate and the 1/count of the mean). */
  pendingA: Float32Array;
  pendingB: Float32Array;
  pendingCount: number;
  samplesSeen: number;
  qualitySamples: number;
  qualitySum: number;
  baselineEma: number;
  baselineWeight: number;
  explorationEvent: number;
  explorationRecords: { sum1: number; sum2: number; event: number; gain: number }[];
  updatesApplied: number;
  clippedEvents: number;
  uninformativeEvents: number;
}

/** Optimiser settings that may change between events. */
export interface LearnerSettings {
  stepRule: StepRule;
  clipNorm: number;
  weightDecay: number;
  exploration: number;
}

/** The slice of a backend that caches adapters (the wasm backend): told when weights change. */
interface CachingBackend {
  invalidate?(lora: LoraWeights): boolean;
}

/**
 * Online adaptation of one LoRA adapter from feedback — the browser API's
 * adapt / applyUpdates done so that it learns:
 * - with an output-space gradient or a target: the exact chain rule,
 *   ∂/∂B = s·g(Ax)ᵀ and ∂/∂A = s·(Bᵀg)xᵀ;
 * - with a quality and ∂log p/∂output: a policy-gradient step, advantage × gradient,
 *   advantage = quality − running baseline;
 * - with a quality only: REINFORCE through exploration — apply() adds seeded ±σ
 *   noise ε to the output and remembers it; feedback then moves the output toward
 *   that noise when the quality beat the baseline and away from it when not
 *   (see the README for the derivation).
 * Steps queue until applyUpdates(η) applies their MEAN. The arithmetic runs on a
 * SIMD backend (a few gemv/axpy calls per event); nothing on the adapt/apply path
 * allocates (apply() returns a new array; applyInto/applyAdd do not).
 */
export class OnlineLearner {
  /** The live adapter (its arrays change in place on applyUpdates). */
  readonly lora: LoraWeights;
  readonly backend: SimdOps;
  private readonly options: ResolvedLearnerOptions;
  private readonly settings: LearnerSettings;
  private readonly queue: StepQueue;
  private readonly initialA: Float32Array;
  private readonly initialB: Float32Array;
  private readonly seedU32: number;
  private readonly coefA: Float64Array;
  private readonly coefB: Float64Array;
  private readonly gradientScratch: Float32Array;
  private readonly record = new Float64Array(2);
  private readonly baseline: QualityBaseline;
  private readonly memory: ExplorationMemory;
  private explorationEvent = 0;
  private samplesSeen = 0;
  private qualitySamples = 0;
  private qualitySum = 0;
  private updatesApplied = 0;
  private clippedEvents = 0;
  private uninformativeEvents = 0;

  constructor(options: OnlineLearnerOptions) {
    const resolved = resolveLearnerOptions(options);
    this.options = resolved;
    this.settings = {
      stepRule: resolved.stepRule,
      clipNorm: resolved.clipNorm,
      weightDecay: resolved.weightDecay,
      exploration: resolved.exploration,
    };
    const backend = options.backend ?? getBackend();
    if (typeof backend !== 'object' || backend === null || typeof backend.gemv !== 'function') {
      throw new MicroLoraError('INVALID_ARGUMENT', 'backend must be a SimdOps (getBackend() from @microlora/simd)');
    }
    this.backend = backend;
    const { rank, inFeatures: n, outFeatures: m } = resolved;
    const start =
      options.initial === undefined
        ? createLora({ rank, inFeatures: n, outFeatures: m, alpha: resolved.alpha, seed: resolved.seed, initBound: resolved.initBound })
        : loraFromFactors({ ...options.initial });
    this.queue = new StepQueue(backend, start);
    this.lora = this.queue.lora;
    this.initialA = start.a.slice();
    this.initialB = start.b.slice();
    this.seedU32 = seedToU32(resolved.seed);
    this.coefA = new Float64Array(rank);
    this.coefB = new Float64Array(rank);
    this.gradientScratch = new Float32Array(m);
    this.baseline = new QualityBaseline(resolved.baselineDecay);
    this.memory = new ExplorationMemory(resolved.explorationMemory);
  }

  /** A learner restored from exportState() output (validated). */
  static fromState(
    state: LearnerState,
    options: Omit<OnlineLearnerOptions, 'rank' | 'inFeatures' | 'outFeatures' | 'alpha' | 'initial'> = {},
  ): OnlineLearner {
    if (typeof state !== 'object' || state === null) throw new MicroLoraError('INVALID_ARGUMENT', 'state must be an object from exportState()');
    const learner = new OnlineLearner({
      ...options,
      initial: loraFromFactors({
        rank: state.rank,
        inFeatures: state.inFeatures,
        outFeatures: state.outFeatures,
        alpha: state.alpha,
        a: state.initialA,
        b: state.initialB,
      }),
    });
    learner.importState(state);
    return learner;
  }

  get rank(): number {
    return this.lora.rank;
  }
  get inFeatures(): number {
    return this.lora.inFeatures;
  }
  get outFeatures(): number {
    return this.lora.outFeatures;
  }
  get scaling(): number {
    return this.lora.scaling;
  }
  get pendingUpdates(): number {
    return this.queue.pending;
  }
  /** The current REINFORCE baseline. */
  get qualityBaseline(): number {
    return this.baseline.value;
  }
  get stepRule(): StepRule {
    return this.settings.stepRule;
  }
  get exploration(): number {
    return this.settings.exploration;
  }
  get weightDecay(): number {
    return this.settings.weightDecay;
  }
  get clipNorm(): number {
    return this.settings.clipNorm;
  }

  /** Changes optimiser settings for the following events (validated like the constructor's). */
  configure(settings: Partial<LearnerSettings>): void {
    if (typeof settings !== 'object' || settings === null) throw new MicroLoraError('INVALID_ARGUMENT', 'settings must be an object');
    const next = resolveLearnerOptions({ ...this.options, ...this.settings, ...settings });
    this.settings.stepRule = next.stepRule;
    this.settings.clipNorm = next.clipNorm;
    this.settings.weightDecay = next.weightDecay;
    this.settings.exploration = next.exploration;
  }

  /** Δ(x) = s·B(Ax) (plus exploration noise when enabled) as a new array. */
  apply(x: Float32Array): Float32Array {
    const out = new Float32Array(this.lora.outFeatures);
    this.forward(x, out, true);
    return out;
  }

  /** out = Δ(x) (+ exploration noise); out is overwritten. Returns out. */
  applyInto(x: Float32Array, out: Float32Array): Float32Array {
    this.forward(x, out, false);
    return out;
  }

  /** y += Δ(x) (+ exploration noise): the adapted hidden state in place. Returns y. */
  applyAdd(x: Float32Array, y: Float32Array): Float32Array {
    this.forward(x, y, true);
    return y;
  }

  private forward(x: Float32Array, y: Float32Array, add: boolean): void {
    const { inFeatures: n, outFeatures: m } = this.lora;
    assertFloat32Array('input', x);
    assertLength('input', x, n);
    assertFloat32Array('output', y);
    assertLength('output', y, m);
    const sumSquares = this.backend.dot(x, x);
    if (!Number.isFinite(sumSquares)) throw nonFinite('input', x);
    if (!add) y.fill(0);
    this.backend.loraApply(this.lora, x, y);
    const exploration = this.settings.exploration;
    if (exploration > 0 && sumSquares > 0) {
      const rms = Math.sqrt(sumSquares / n);
      const event = this.explorationEvent;
      this.explorationEvent = (event + 1) % 0x1_0000_0000;
      addExplorationNoise(this.seedU32, event, y, exploration * rms);
      // The REINFORCE gradient of E[quality] w.r.t. the output is advantage·ε/σ; times RMS(x)²
      // (so that the learning rate is unit-free) that is advantage·ε·RMS(x)/exploration.
      this.memory.remember(x, event, rms / exploration);
    }
  }

  /**
   * Queues the step of one feedback event (see LearnerFeedback) and returns
   * what kind of step it was. Invalid feedback throws before any state changes.
   */
  adapt(x: Float32Array, feedback: LearnerFeedback): AdaptOutcome {
    const { inFeatures: n, outFeatures: m } = this.lora;
    if (typeof feedback !== 'object' || feedback === null) {
      throw new MicroLoraError('INVALID_ARGUMENT', 'feedback must be an object { quality?, gradient?, target?, logProbGradient? }');
    }
    assertFloat32Array('input', x);
    assertLength('input', x, n);
    const { quality, gradient, target, base, logProbGradient } = feedback;
    const weight = feedback.weight ?? 1;
    assertFiniteNumber('feedback.weight', weight, 0);
    if (quality !== undefined) assertFiniteNumber('feedback.quality', quality, 0, 1);
    if (Number(gradient !== undefined) + Number(target !== undefined) + Number(logProbGradient !== undefined) > 1) {
      throw new MicroLoraError('INVALID_ARGUMENT', 'give at most one of feedback.gradient, feedback.target and feedback.logProbGradient');
    }
    if (gradient !== undefined) assertOutputVector('feedback.gradient', gradient, m);
    if (target !== undefined) assertOutputVector('feedback.target', target, m);
    if (base !== undefined) {
      if (target === undefined) throw new MicroLoraError('INVALID_ARGUMENT', 'feedback.base is only used with feedback.target');
      assertOutputVector('feedback.base', base, m);
    }
    if (logProbGradient !== undefined) {
      assertOutputVector('feedback.logProbGradient', logProbGradient, m);
      if (quality === undefined) {
        throw new MicroLoraError('INVALID_ARGUMENT', 'feedback.logProbGradient needs feedback.quality (the reward of what was produced)');
      }
    }

    let outcome: AdaptOutcome = 'none';
    if (gradient !== undefined) {
      if (this.enqueue(x, gradient, 1, weight, 'feedback.gradient')) outcome = 'gradient';
    } else if (target !== undefined) {
      const g = this.gradientScratch;
      this.forwardDelta(x, g);
      for (let o = 0; o < m; o++) g[o] = (g[o] as number) + (base === undefined ? 0 : (base[o] as number)) - (target[o] as number);
      if (this.enqueue(x, g, 1, weight, 'feedback.target / feedback.base')) outcome = 'target';
    } else if (logProbGradient !== undefined) {
      // Ascend advantage·∇log p, i.e. descend the loss gradient −advantage·∇log p.
      const advantage = (quality as number) - this.baseline.value;
      if (this.enqueue(x, logProbGradient, -advantage, weight, 'feedback.logProbGradient')) outcome = 'policy';
    } else if (quality !== undefined && this.memory.take(x, this.record)) {
      // Loss gradient −advantage·gain·ε: the output moves toward the noise when it helped, away when it hurt.
      const advantage = quality - this.baseline.value;
      const g = this.gradientScratch;
      fillExplorationNoise(this.seedU32, this.record[0] as number, g, -advantage * (this.record[1] as number));
      if (this.enqueue(x, g, 1, weight, 'exploration noise')) outcome = 'exploration';
    }
    this.samplesSeen++;
    if (quality !== undefined) {
      this.qualitySamples++;
      this.qualitySum += quality;
      this.baseline.observe(quality);
    }
    if (outcome === 'none') this.uninformativeEvents++;
    return outcome;
  }

  /** Δ(x) into out, without exploration noise. */
  private forwardDelta(x: Float32Array, out: Float32Array): void {
    const sumSquares = this.backend.dot(x, x);
    if (!Number.isFinite(sumSquares)) throw nonFinite('input', x);
    out.fill(0);
    this.backend.loraApply(this.lora, x, out);
  }

  /** Queues the descent step of the loss gradient sign·g at input x. */
  private enqueue(x: Float32Array, g: Float32Array, sign: number, weight: number, gradientName: string): boolean {
    const { rank, inFeatures: n, scaling: s } = this.lora;
    const queue = this.queue;
    queue.projectInput(x);
    const u = queue.projectedInput;
    const sx = u[rank] as number;
    if (!Number.isFinite(sx)) throw nonFinite('input', x);
    queue.projectGradient(g);
    const v = queue.projectedGradient;
    const sg = v[rank] as number;
    if (!Number.isFinite(sg)) throw nonFinite(gradientName, g);
    let uu = 0;
    let vv = 0;
    for (let r = 0; r < rank; r++) {
      uu += (u[r] as number) * (u[r] as number);
      vv += (v[r] as number) * (v[r] as number);
    }
    if (!Number.isFinite(uu) || !Number.isFinite(vv)) {
      throw new MicroLoraError('NON_FINITE', 'the adapter weights overflowed; reset() the learner or lower the learning rate');
    }
    // ‖∇‖² of the loss along sign·g: s²(‖Ax‖²‖g‖² + ‖x‖²‖Bᵀg‖²)·sign².
    const gradNormSq = s * s * (uu * sg + sx * vv) * sign * sign;
    if (weight === 0 || !(gradNormSq > 0)) {
      // The exact gradient is zero (or the event weighs nothing): a zero step, still counted in the mean.
      queue.enqueueZero();
      return true;
    }
    // k multiplies the exact gradient: 1 ('sgd'), or 1/curvature along g ('normalized').
    let k = 1;
    if (this.settings.stepRule === 'normalized') {
      // Curvature gᵀJJᵀg/‖g‖² = s²(‖Ax‖² + ‖x‖²‖Bᵀĝ‖²), with ‖Ax‖² raised to at least its mean
      // over inputs of this norm, ‖A‖²_F‖x‖²/n: a sample with a tiny ‖Ax‖ would make a huge B step.
      k = 1 / (s * s * (Math.max(uu, (sx * queue.frobeniusSquaredA) / n) + (sx * vv) / sg));
    }
    let stepNorm = k * Math.sqrt(gradNormSq);
    if (stepNorm > this.settings.clipNorm) {
      k *= this.settings.clipNorm / stepNorm;
      stepNorm = this.settings.clipNorm;
      this.clippedEvents++;
    }
    const norm = stepNorm * weight;
    if (!(norm < STEP_LIMIT)) {
      throw new MicroLoraError('OUT_OF_RANGE', `the step of this event is too large to represent (norm ${norm}); scale the gradient down`, {
        details: { stepNorm, weight },
      });
    }
    // gradA = s·sign·(Bᵀg)xᵀ and gradB = s·sign·(Ax)gᵀ; the queued step is −weight·k·grad.
    const c = -weight * k * s * sign;
    for (let r = 0; r < rank; r++) {
      this.coefA[r] = c * (v[r] as number);
      this.coefB[r] = c * (u[r] as number);
    }
    queue.enqueue(this.coefA, this.coefB, norm);
    return true;
  }

  /**
   * Applies the MEAN of the queued steps with learning rate η (and weight decay
   * θ ← (1 − η·decay)θ) and empties the queue. Returns the number of events applied.
   */
  applyUpdates(learningRate: number): number {
    assertFiniteNumber('learningRate', learningRate, 0);
    if (this.queue.pending === 0) return 0;
    const decay = learningRate * this.settings.weightDecay;
    if (decay > 1) {
      throw new MicroLoraError(
        'OUT_OF_RANGE',
        `learningRate × weightDecay = ${decay} exceeds 1 (it would flip the weights' sign); lower one of them`,
        { details: { learningRate, weightDecay: this.settings.weightDecay } },
      );
    }
    const applied = this.queue.apply(learningRate, 1 - decay);
    (this.backend as CachingBackend).invalidate?.(this.lora);
    this.updatesApplied++;
    return applied;
  }

  /** Drops the queued steps without applying them. */
  clearPending(): void {
    this.queue.clear();
  }

  /** Back to the initial (seeded or given) weights, with an empty queue, baseline, memory and statistics. */
  reset(): void {
    this.queue.setWeights(this.initialA, this.initialB);
    (this.backend as CachingBackend).invalidate?.(this.lora);
    this.baseline.reset();
    this.memory.clear();
    this.explorationEvent = 0;
    this.samplesSeen = 0;
    this.qualitySamples = 0;
    this.qualitySum = 0;
    this.updatesApplied = 0;
    this.clippedEvents = 0;
    this.uninformativeEvents = 0;
  }

  /** ‖ΔW‖_F = |scaling|·‖BA‖_F, exact, in O(rank²·(in + out)). */
  deltaNorm(): number {
    const { rank, inFeatures: n, outFeatures: m, a, b, scaling } = this.lora;
    return Math.abs(scaling) * Math.sqrt(Math.max(0, productFrobeniusSquared(a, b, rank, n, m)));
  }

  /** A copy of the current weights (safe to keep, compress or insert in a bank). */
  snapshot(): LoraWeights {
    return cloneLora(this.lora);
  }

  stats(): LearnerStats {
    return {
      samplesSeen: this.samplesSeen,
      qualitySamples: this.qualitySamples,
      avgQuality: this.qualitySamples > 0 ? this.qualitySum / this.qualitySamples : 0,
      baseline: this.baseline.value,
      pendingUpdates: this.queue.pending,
      updatesApplied: this.updatesApplied,
      clippedEvents: this.clippedEvents,
      uninformativeEvents: this.uninformativeEvents,
      deltaNorm: this.deltaNorm(),
      paramCount: loraParamCount(this.lora),
      memoryBytes: this.memoryBytes(),
    };
  }

  /** Bytes of every buffer held: weights with their event rows, the initial copy, queued sums, scratch, exploration memory. */
  memoryBytes(): number {
    return (
      this.queue.byteLength +
      this.initialA.byteLength +
      this.initialB.byteLength +
      this.gradientScratch.byteLength +
      this.coefA.byteLength +
      this.coefB.byteLength +
      this.record.byteLength +
      this.memory.byteLength
    );
  }

  /** A deep copy of the complete state (queued steps as dense sums). */
  exportState(): LearnerState {
    const { rank, inFeatures, outFeatures, alpha } = this.lora;
    const pending = this.queue.exportPending();
    const [baselineEma, baselineWeight] = this.baseline.export();
    return {
      rank,
      inFeatures,
      outFeatures,
      alpha,
      a: this.lora.a.slice(),
      b: this.lora.b.slice(),
      initialA: this.initialA.slice(),
      initialB: this.initialB.slice(),
      pendingA: pending.a,
      pendingB: pending.b,
      pendingCount: pending.count,
      samplesSeen: this.samplesSeen,
      qualitySamples: this.qualitySamples,
      qualitySum: this.qualitySum,
      baselineEma,
      baselineWeight,
      explorationEvent: this.explorationEvent,
      explorationRecords: this.memory.export(),
      updatesApplied: this.updatesApplied,
      clippedEvents: this.clippedEvents,
      uninformativeEvents: this.uninformativeEvents,
    };
  }

  /** Replaces the state with exportState() output of a learner of the same shape; validated first, all or nothing. */
  importState(state: LearnerState): void {
    if (typeof state !== 'object' || state === null) throw new MicroLoraError('INVALID_ARGUMENT', 'state must be an object from exportState()');
    const { rank, inFeatures: n, outFeatures: m, alpha } = this.lora;
    if (state.rank !== rank || state.inFeatures !== n || state.outFeatures !== m || state.alpha !== alpha) {
      throw new MicroLoraError(
        'DIMENSION_MISMATCH',
        `state is rank ${state.rank} ${state.inFeatures}→${state.outFeatures} alpha ${state.alpha}; this learner is rank ${rank} ${n}→${m} alpha ${alpha}`,
      );
    }
    for (const [name, values, length] of [
      ['state.a', state.a, rank * n],
      ['state.b', state.b, rank * m],
      ['state.initialA', state.initialA, rank * n],
      ['state.initialB', state.initialB, rank * m],
      ['state.pendingA', state.pendingA, rank * n],
      ['state.pendingB', state.pendingB, rank * m],
    ] as const) {
      assertFloat32Array(name, values);
      assertLength(name, values, length);
      const bad = findNonFinite(values);
      if (bad >= 0) throw new MicroLoraError('NON_FINITE', `${name}[${bad}] is ${values[bad]}; every value must be finite`);
    }
    const pendingCount = counter('state.pendingCount', state.pendingCount);
    const samplesSeen = counter('state.samplesSeen', state.samplesSeen);
    const qualitySamples = counter('state.qualitySamples', state.qualitySamples);
    const explorationEvent = counter('state.explorationEvent', state.explorationEvent);
    const updatesApplied = counter('state.updatesApplied', state.updatesApplied);
    const clippedEvents = counter('state.clippedEvents', state.clippedEvents);
    const uninformativeEvents = counter('state.uninformativeEvents', state.uninformativeEvents);
    if (explorationEvent >= 0x1_0000_0000) throw new MicroLoraError('CORRUPT_DATA', 'state.explorationEvent must be below 2^32');
    if (qualitySamples > samplesSeen) throw new MicroLoraError('CORRUPT_DATA', 'state.qualitySamples exceeds state.samplesSeen');
    assertFiniteNumber('state.qualitySum', state.qualitySum, 0, qualitySamples);
    assertFiniteNumber('state.baselineWeight', state.baselineWeight, 0, 1);
    assertFiniteNumber('state.baselineEma', state.baselineEma, 0, state.baselineWeight);
    if (!Array.isArray(state.explorationRecords)) throw new MicroLoraError('CORRUPT_DATA', 'state.explorationRecords must be an array');
    for (const r of state.explorationRecords as unknown[]) {
      if (typeof r !== 'object' || r === null) throw new MicroLoraError('CORRUPT_DATA', 'an exploration record is not an object');
      const record = r as Record<string, unknown>;
      assertFiniteNumber('explorationRecord.sum1', record.sum1);
      assertFiniteNumber('explorationRecord.sum2', record.sum2);
      assertFiniteNumber('explorationRecord.gain', record.gain, Number.MIN_VALUE);
      counter('explorationRecord.event', record.event);
    }
    // Everything checked: commit.
    this.queue.setWeights(state.a, state.b);
    this.queue.importPending(state.pendingA, state.pendingB, pendingCount);
    (this.backend as CachingBackend).invalidate?.(this.lora);
    this.initialA.set(state.initialA);
    this.initialB.set(state.initialB);
    this.samplesSeen = samplesSeen;
    this.qualitySamples = qualitySamples;
    this.qualitySum = state.qualitySum;
    this.baseline.import(state.baselineEma, state.baselineWeight);
    this.explorationEvent = explorationEvent;
    this.memory.import(state.explorationRecords);
    this.updatesApplied = updatesApplied;
    this.clippedEvents = clippedEvents;
    this.uninformativeEvents = uninformativeEvents;
  }
}

function counter(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > Number.MAX_SAFE_INTEGER) {
    throw new MicroLoraError('CORRUPT_DATA', `${name} must be a non-negative integer, got ${String(value)}`, { details: { name, value } });
  }
  return value;
}

function assertOutputVector(name: string, value: unknown, length: number): asserts value is Float32Array {
  assertFloat32Array(name, value);
  assertLength(name, value, length);
}

function nonFinite(name: string, values: Float32Array): MicroLoraError {
  const i = findNonFinite(values);
  if (i < 0) {
    return new MicroLoraError('NON_FINITE', `${name} is too large: its squared norm overflows float32; scale it down`, {
      details: { name },
    });
  }
  return new MicroLoraError('NON_FINITE', `${name}[${i}] is ${values[i]}; every value must be finite`, {
    details: { name, index: i, value: values[i] },
  });
}
