import { MicroLoraError, loraFromFactors, type LoraWeights } from '@microlora/core';
import type { SimdOps } from '@microlora/simd';

/** Steps whose size would leave float32's range are rejected before anything is written. */
export const STEP_LIMIT = 1e30;

/**
 * The adapter's weights and the queue of steps not yet applied, laid out for
 * few backend calls. A is stored as rows 0..rank−1 of a (rank+1) × in matrix
 * whose last row receives the event's input, so ONE gemv yields both A·x and
 * ‖x‖² (and likewise [Bᵀ; g]·g yields Bᵀg and ‖g‖²). That last row doubles as
 * the first queued event's stored input: a queue of one event is kept factored
 * (per-rank coefficients times x and g) and applied with 2·rank axpys; a second
 * event moves it into dense sums first.
 */
export class StepQueue {
  readonly lora: LoraWeights;
  /** After project(): A·x (rank entries) then ‖x‖². */
  readonly projectedInput: Float32Array;
  /** After project(): Bᵀg (rank entries) then ‖g‖². */
  readonly projectedGradient: Float32Array;
  private readonly inputRows: Float32Array;
  private readonly gradientRows: Float32Array;
  private readonly slotX: Float32Array;
  private readonly slotG: Float32Array;
  private readonly aRows: Float32Array[];
  private readonly bRows: Float32Array[];
  private readonly pendingA: Float32Array;
  private readonly pendingB: Float32Array;
  private readonly pendingARows: Float32Array[];
  private readonly pendingBRows: Float32Array[];
  private readonly slotCoefA: Float64Array;
  private readonly slotCoefB: Float64Array;
  /** A·x of the slot's input and its ‖x‖², to update ‖A‖²_F without a pass over A. */
  private readonly slotProjection: Float64Array;
  private slotInputNormSq = 0;
  private slotActive = false;
  private count = 0;
  /** Σ of the queued steps' norms: bounds the applied step before it is written. */
  private bound = 0;
  /** ‖A‖²_F, kept current through every change of A. */
  private aNormSq = 0;

  constructor(
    private readonly backend: SimdOps,
    start: LoraWeights,
  ) {
    const { rank, inFeatures: n, outFeatures: m } = start;
    this.inputRows = new Float32Array((rank + 1) * n);
    this.gradientRows = new Float32Array((rank + 1) * m);
    const a = this.inputRows.subarray(0, rank * n);
    const b = this.gradientRows.subarray(0, rank * m);
    a.set(start.a);
    b.set(start.b);
    this.lora = loraFromFactors({ rank, inFeatures: n, outFeatures: m, alpha: start.alpha, layerMask: start.layerMask, a, b });
    this.slotX = this.inputRows.subarray(rank * n);
    this.slotG = this.gradientRows.subarray(rank * m);
    this.projectedInput = new Float32Array(rank + 1);
    this.projectedGradient = new Float32Array(rank + 1);
    this.pendingA = new Float32Array(rank * n);
    this.pendingB = new Float32Array(rank * m);
    this.aRows = rows(a, rank, n);
    this.bRows = rows(b, rank, m);
    this.pendingARows = rows(this.pendingA, rank, n);
    this.pendingBRows = rows(this.pendingB, rank, m);
    this.slotCoefA = new Float64Array(rank);
    this.slotCoefB = new Float64Array(rank);
    this.slotProjection = new Float64Array(rank);
    this.aNormSq = backend.dot(a, a);
  }

  get pending(): number {
    return this.count;
  }

  get frobeniusSquaredA(): number {
    return this.aNormSq;
  }

  /** Bytes of the buffers (weights with their event rows, dense sums, projections, coefficients). */
  get byteLength(): number {
    return (
      this.inputRows.byteLength +
      this.gradientRows.byteLength +
      this.pendingA.byteLength +
      this.pendingB.byteLength +
      this.projectedInput.byteLength +
      this.projectedGradient.byteLength +
      this.slotCoefA.byteLength * 3
    );
  }

  /** projectedInput = [A·x; ‖x‖²]. Copies x into the event row (moving a factored event out first). */
  projectInput(x: Float32Array): void {
    if (this.slotActive) this.flushSlot();
    const { rank, inFeatures: n } = this.lora;
    this.slotX.set(x);
    this.backend.gemv(this.inputRows, rank + 1, n, x, this.projectedInput);
  }

  /** projectedGradient = [Bᵀg; ‖g‖²]. Call after projectInput for the same event. */
  projectGradient(g: Float32Array): void {
    const { rank, outFeatures: m } = this.lora;
    this.slotG.set(g);
    this.backend.gemv(this.gradientRows, rank + 1, m, g, this.projectedGradient);
  }

  /**
   * Queues the step A_r += coefA[r]·x, B_r += coefB[r]·g for the event last
   * projected (x, g still in the event rows). `norm` is the step's Frobenius norm.
   */
  enqueue(coefA: Float64Array, coefB: Float64Array, norm: number): void {
    const rank = this.lora.rank;
    if (this.count === 0) {
      this.slotCoefA.set(coefA);
      this.slotCoefB.set(coefB);
      for (let r = 0; r < rank; r++) this.slotProjection[r] = this.projectedInput[r] as number;
      this.slotInputNormSq = this.projectedInput[rank] as number;
      this.slotActive = true;
    } else {
      for (let r = 0; r < rank; r++) {
        this.backend.axpy(coefA[r] as number, this.slotX, this.pendingARows[r] as Float32Array);
        this.backend.axpy(coefB[r] as number, this.slotG, this.pendingBRows[r] as Float32Array);
      }
    }
    this.bound += norm;
    this.count++;
  }

  /** Queues an event whose step is zero (it still counts in the mean). */
  enqueueZero(): void {
    if (this.count === 0) {
      this.slotCoefA.fill(0);
      this.slotCoefB.fill(0);
      this.slotProjection.fill(0);
      this.slotInputNormSq = 0;
      this.slotActive = true;
    }
    this.count++;
  }

  /**
   * Applies θ ← keep·θ + (learningRate / count)·Σ queued steps and empties the
   * queue. Returns the number of events applied.
   */
  apply(learningRate: number, keep: number): number {
    const count = this.count;
    if (count === 0) return 0;
    const factor = learningRate / count;
    if (!(factor * this.bound < STEP_LIMIT)) {
      throw new MicroLoraError('OUT_OF_RANGE', `learningRate ${learningRate} makes a step too large to represent; lower it`, {
        details: { learningRate },
      });
    }
    const { rank, a, b } = this.lora;
    const backend = this.backend;
    if (keep !== 1) {
      backend.scale(a, keep, a);
      backend.scale(b, keep, b);
    }
    if (this.slotActive) {
      // ‖keep·a_r + c_r·x‖² = ‖keep·a_r‖² + 2·c_r·keep·(a_r·x) + c_r²‖x‖².
      let normSq = keep * keep * this.aNormSq;
      for (let r = 0; r < rank; r++) {
        const ca = factor * (this.slotCoefA[r] as number);
        const cb = factor * (this.slotCoefB[r] as number);
        if (ca !== 0) backend.axpy(ca, this.slotX, this.aRows[r] as Float32Array);
        if (cb !== 0) backend.axpy(cb, this.slotG, this.bRows[r] as Float32Array);
        normSq += 2 * ca * keep * (this.slotProjection[r] as number) + ca * ca * this.slotInputNormSq;
      }
      this.aNormSq = Math.max(0, normSq);
    } else {
      backend.axpy(factor, this.pendingA, a);
      backend.axpy(factor, this.pendingB, b);
      this.aNormSq = backend.dot(a, a);
    }
    this.clear();
    return count;
  }

  clear(): void {
    this.count = 0;
    this.bound = 0;
    this.slotActive = false;
  }

  /** Overwrites the weights (after validation elsewhere) and empties the queue. */
  setWeights(a: Float32Array, b: Float32Array): void {
    this.lora.a.set(a);
    this.lora.b.set(b);
    this.aNormSq = this.backend.dot(this.lora.a, this.lora.a);
    this.clear();
  }

  /** The queued Σ of steps as dense copies (zeros when empty). */
  exportPending(): { a: Float32Array; b: Float32Array; count: number } {
    if (this.count === 0) {
      return { a: new Float32Array(this.pendingA.length), b: new Float32Array(this.pendingB.length), count: 0 };
    }
    if (this.slotActive) this.flushSlot();
    return { a: this.pendingA.slice(), b: this.pendingB.slice(), count: this.count };
  }

  /** Restores a dense queue (validated elsewhere). */
  importPending(a: Float32Array, b: Float32Array, count: number): void {
    this.pendingA.set(a);
    this.pendingB.set(b);
    this.count = count;
    this.slotActive = false;
    // A dense queue has no per-event norms left; its own norm bounds its mean × count.
    this.bound = count === 0 ? 0 : Math.sqrt(this.backend.dot(a, a) + this.backend.dot(b, b));
  }

  /** Moves the factored event into the dense sums (overwriting them). */
  private flushSlot(): void {
    const rank = this.lora.rank;
    const backend = this.backend;
    for (let r = 0; r < rank; r++) {
      backend.scale(this.slotX, this.slotCoefA[r] as number, this.pendingARows[r] as Float32Array);
      backend.scale(this.slotG, this.slotCoefB[r] as number, this.pendingBRows[r] as Float32Array);
    }
    this.slotActive = false;
  }
}

function rows(matrix: Float32Array, rank: number, width: number): Float32Array[] {
  return Array.from({ length: rank }, (_, r) => matrix.subarray(r * width, (r + 1) * width));
}
