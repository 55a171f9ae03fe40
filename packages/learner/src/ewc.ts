import { MicroLoraError, assertFiniteNumber } from '@microlora/core';

export interface EwcOptions {
  /** Strength λ of the penalty (λ/2)·Σ F_i(θ_i − θ*_i)². 0 disables it. */
  lambda: number;
  /**
   * Decay γ of the consolidated Fisher at each task boundary: F ← γ·F + F_task,
   * so importance from old tasks fades geometrically. Default 0.9.
   */
  decay?: number;
  /** Rate α of the online (per-sample, exponential) Fisher estimate within a task. Default 0.01. */
  rate?: number;
}

/**
 * EWC++ state for one LoRA: the diagonal Fisher of the squared-error loss
 * (its Gauss–Newton diagonal, F_A[r][i] = s²‖b_r‖²x_i², F_B[r][o] = s²(a_r·x)²,
 * which unlike the squared gradient does not vanish once a task is fitted),
 * estimated online as an exponential mean over the samples of the current task;
 * the consolidated Fisher of past tasks (decayed by γ at each boundary); and the
 * anchor θ* the penalty pulls toward. Buffers are laid out like LoraWeights.a / .b.
 */
export class EwcState {
  readonly lambda: number;
  readonly decay: number;
  readonly rate: number;
  readonly fisherA: Float32Array;
  readonly fisherB: Float32Array;
  readonly anchorA: Float32Array;
  readonly anchorB: Float32Array;
  private readonly runningA: Float32Array;
  private readonly runningB: Float32Array;
  private runningWeight = 0;
  private anchored = false;
  private tasks = 0;

  constructor(options: EwcOptions, aLength: number, bLength: number) {
    if (typeof options !== 'object' || options === null) {
      throw new MicroLoraError('INVALID_ARGUMENT', 'ewc options must be an object { lambda, decay?, rate? }');
    }
    assertFiniteNumber('ewc.lambda', options.lambda, 0);
    const decay = options.decay ?? 0.9;
    assertFiniteNumber('ewc.decay', decay, 0, 1);
    const rate = options.rate ?? 0.01;
    assertFiniteNumber('ewc.rate', rate, Number.MIN_VALUE, 1);
    this.lambda = options.lambda;
    this.decay = decay;
    this.rate = rate;
    this.fisherA = new Float32Array(aLength);
    this.fisherB = new Float32Array(bLength);
    this.anchorA = new Float32Array(aLength);
    this.anchorB = new Float32Array(bLength);
    this.runningA = new Float32Array(aLength);
    this.runningB = new Float32Array(bLength);
  }

  /** Whether a task boundary has set an anchor (before that the penalty is zero). */
  get active(): boolean {
    return this.anchored && this.lambda > 0;
  }

  get consolidatedTasks(): number {
    return this.tasks;
  }

  get byteLength(): number {
    return 3 * (this.fisherA.byteLength + this.fisherB.byteLength);
  }

  /**
   * Folds one sample into the running Fisher: x is the input, u = A·x, and
   * bNormSq[r] = ‖b_r‖²; s is the adapter's scaling.
   */
  observe(x: Float32Array, u: ArrayLike<number>, bNormSq: ArrayLike<number>, s: number, rank: number): void {
    const keep = 1 - this.rate;
    const n = x.length;
    const m = this.runningB.length / rank;
    const ra = this.runningA;
    const rb = this.runningB;
    for (let r = 0; r < rank; r++) {
      const ca = this.rate * s * s * (bNormSq[r] as number);
      const base = r * n;
      for (let i = 0; i < n; i++) {
        const xi = x[i] as number;
        ra[base + i] = keep * (ra[base + i] as number) + ca * xi * xi;
      }
      const cb = this.rate * s * s * (u[r] as number) * (u[r] as number);
      const bBase = r * m;
      for (let o = 0; o < m; o++) rb[bBase + o] = keep * (rb[bBase + o] as number) + cb;
    }
    this.runningWeight = keep * this.runningWeight + this.rate;
  }

  /** Task boundary: F ← γ·F + F_task (bias-corrected running estimate), θ* ← θ, running estimate cleared. */
  consolidate(a: Float32Array, b: Float32Array): void {
    const w = this.runningWeight > 0 ? 1 / this.runningWeight : 0;
    for (let i = 0; i < this.fisherA.length; i++) {
      this.fisherA[i] = this.decay * (this.fisherA[i] as number) + w * (this.runningA[i] as number);
    }
    for (let i = 0; i < this.fisherB.length; i++) {
      this.fisherB[i] = this.decay * (this.fisherB[i] as number) + w * (this.runningB[i] as number);
    }
    this.anchorA.set(a);
    this.anchorB.set(b);
    this.runningA.fill(0);
    this.runningB.fill(0);
    this.runningWeight = 0;
    this.anchored = true;
    this.tasks++;
  }

  /**
   * The proximal step of the penalty for step size η:
   * θ_i ← (θ_i + ηλF_i·θ*_i) / (1 + ηλF_i) — exact for the quadratic, stable for any η.
   */
  applyPenalty(a: Float32Array, b: Float32Array, stepSize: number): void {
    if (!this.active) return;
    const k = stepSize * this.lambda;
    proximal(a, this.anchorA, this.fisherA, k);
    proximal(b, this.anchorB, this.fisherB, k);
  }

  /** (λ/2)·Σ F_i(θ_i − θ*_i)². */
  penalty(a: Float32Array, b: Float32Array): number {
    if (!this.active) return 0;
    return 0.5 * this.lambda * (weightedDistance(a, this.anchorA, this.fisherA) + weightedDistance(b, this.anchorB, this.fisherB));
  }
}

function proximal(theta: Float32Array, anchor: Float32Array, fisher: Float32Array, k: number): void {
  for (let i = 0; i < theta.length; i++) {
    const kf = k * (fisher[i] as number);
    theta[i] = ((theta[i] as number) + kf * (anchor[i] as number)) / (1 + kf);
  }
}

function weightedDistance(theta: Float32Array, anchor: Float32Array, fisher: Float32Array): number {
  let s = 0;
  for (let i = 0; i < theta.length; i++) {
    const d = (theta[i] as number) - (anchor[i] as number);
    s += (fisher[i] as number) * d * d;
  }
  return s;
}
