import { MicroLoraError, SeededRng } from 'microlora';

/**
 * A frozen linear "head" over the adapted hidden state: logits = W·h, one unit-norm
 * row of W per response style, seeded so every page load gets the same head. It
 * stands in for a model's output layer until the app has a language model.
 */
export class ResponseHead {
  readonly styles: number;
  readonly hiddenSize: number;
  /** styles × hiddenSize, row-major; row s is the unit direction that raises style s. */
  private readonly weights: Float32Array;

  constructor(styles: number, hiddenSize: number, seed = 0x4ead) {
    if (!Number.isInteger(styles) || styles < 2) {
      throw new MicroLoraError('INVALID_ARGUMENT', `the head needs at least 2 styles, got ${String(styles)}`);
    }
    if (!Number.isInteger(hiddenSize) || hiddenSize < 1) {
      throw new MicroLoraError('INVALID_ARGUMENT', `hiddenSize must be a positive integer, got ${String(hiddenSize)}`);
    }
    this.styles = styles;
    this.hiddenSize = hiddenSize;
    const rng = new SeededRng(seed);
    this.weights = rng.fillNormal(new Float32Array(styles * hiddenSize));
    for (let s = 0; s < styles; s++) {
      const row = this.direction(s);
      let sum = 0;
      for (let i = 0; i < hiddenSize; i++) sum += (row[i] as number) ** 2;
      const inv = 1 / Math.sqrt(sum);
      for (let i = 0; i < hiddenSize; i++) row[i] = (row[i] as number) * inv;
    }
  }

  /** Row s of W (a view): the unit direction in hidden space that raises style s. */
  direction(style: number): Float32Array {
    if (!Number.isInteger(style) || style < 0 || style >= this.styles) {
      throw new MicroLoraError('OUT_OF_RANGE', `style must be an integer in [0, ${this.styles - 1}], got ${String(style)}`);
    }
    return this.weights.subarray(style * this.hiddenSize, (style + 1) * this.hiddenSize);
  }

  /** Softmax probabilities of each style for hidden state h, into `out` (length styles). */
  probabilitiesInto(hidden: Float32Array, out: Float64Array): Float64Array {
    this.checkHidden(hidden);
    if (out.length !== this.styles) {
      throw new MicroLoraError('DIMENSION_MISMATCH', `out has ${out.length} entries, the head has ${this.styles} styles`);
    }
    let max = Number.NEGATIVE_INFINITY;
    for (let s = 0; s < this.styles; s++) {
      const row = this.direction(s);
      let logit = 0;
      for (let i = 0; i < this.hiddenSize; i++) logit += (row[i] as number) * (hidden[i] as number);
      if (!Number.isFinite(logit)) {
        throw new MicroLoraError('NON_FINITE', `the logit of style ${s} is ${logit}: the hidden state holds NaN or Infinity`);
      }
      out[s] = logit;
      if (logit > max) max = logit;
    }
    let total = 0;
    for (let s = 0; s < this.styles; s++) {
      const e = Math.exp((out[s] as number) - max);
      out[s] = e;
      total += e;
    }
    for (let s = 0; s < this.styles; s++) out[s] = (out[s] as number) / total;
    return out;
  }

  /** The most probable style (lowest index on ties). */
  static argmax(probabilities: Float64Array): number {
    let best = 0;
    for (let s = 1; s < probabilities.length; s++) {
      if ((probabilities[s] as number) > (probabilities[best] as number)) best = s;
    }
    return best;
  }

  /**
   * ∂(logit_chosen − mean logit)/∂h = W_chosen − mean_s W_s, into `out` (length hiddenSize):
   * the direction that raises the chosen style against the others. Unlike ∂log p it does
   * not vanish when the head is already confident, so one rating always moves the choice.
   */
  marginGradientInto(chosen: number, out: Float32Array): Float32Array {
    const target = this.direction(chosen);
    if (out.length !== this.hiddenSize) {
      throw new MicroLoraError('DIMENSION_MISMATCH', `out has ${out.length} values, the head ${this.hiddenSize} features`);
    }
    out.fill(0);
    const share = 1 / this.styles;
    for (let s = 0; s < this.styles; s++) {
      const row = this.direction(s);
      for (let i = 0; i < this.hiddenSize; i++) out[i] = (out[i] as number) - share * (row[i] as number);
    }
    for (let i = 0; i < this.hiddenSize; i++) out[i] = (out[i] as number) + (target[i] as number);
    return out;
  }

  private checkHidden(hidden: Float32Array): void {
    if (!(hidden instanceof Float32Array) || hidden.length !== this.hiddenSize) {
      throw new MicroLoraError(
        'DIMENSION_MISMATCH',
        `the hidden state must be a Float32Array of ${this.hiddenSize} values, got ${hidden instanceof Float32Array ? hidden.length : typeof hidden}`,
      );
    }
  }
}
