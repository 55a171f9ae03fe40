/**
 * The last few explored apply() calls: for each, a fingerprint of the input,
 * the noise event number and the gain of its REINFORCE gradient. Quality feedback on an input is
 * paired with the newest matching record (inputs match by content, not by
 * array identity, so a caller may pass a copy). Fixed-size typed arrays.
 */
const GOLDEN_FRACTION = 0.6180339887498949;

export class ExplorationMemory {
  readonly capacity: number;
  private readonly sum1: Float64Array;
  private readonly sum2: Float64Array;
  private readonly events: Float64Array;
  private readonly gains: Float64Array;
  /** Fingerprints of the last input seen by fingerprint(). */
  private f1 = 0;
  private f2 = 0;
  /** Slots in use (consumed slots have gain 0). */
  private next = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.sum1 = new Float64Array(capacity);
    this.sum2 = new Float64Array(capacity);
    this.events = new Float64Array(capacity);
    this.gains = new Float64Array(capacity);
  }

  get byteLength(): number {
    return 4 * this.capacity * Float64Array.BYTES_PER_ELEMENT;
  }

  remember(x: Float32Array, event: number, gain: number): void {
    const slot = this.next % this.capacity;
    this.fingerprint(x);
    this.sum1[slot] = this.f1;
    this.sum2[slot] = this.f2;
    this.events[slot] = event;
    this.gains[slot] = gain;
    this.next = slot + 1;
  }

  /**
   * Removes and returns the newest record for an input with this content as
   * [event, gain] written into `out`; false when there is none.
   */
  take(x: Float32Array, out: Float64Array): boolean {
    let computed = false;
    for (let k = 1; k <= this.capacity; k++) {
      const slot = (this.next - k + this.capacity * 2) % this.capacity;
      if (this.gains[slot] === 0) continue;
      if (!computed) {
        this.fingerprint(x);
        computed = true;
      }
      if (this.sum1[slot] === this.f1 && this.sum2[slot] === this.f2) {
        out[0] = this.events[slot] as number;
        out[1] = this.gains[slot] as number;
        this.gains[slot] = 0;
        return true;
      }
    }
    return false;
  }

  /**
   * f1 = Σ x[i] + length and f2 = Σ x[i]·w_i with w_i = frac(i·φ) − 0.5 (a low-discrepancy
   * sequence: tells permutations and rescalings apart), in float64, in one pass.
   */
  private fingerprint(x: Float32Array): void {
    const n = x.length;
    let s1 = 0;
    let s2 = 0;
    let w = 0;
    for (let i = 0; i < n; i++) {
      const v = x[i] as number;
      s1 += v;
      s2 += v * (w - 0.5);
      w += GOLDEN_FRACTION;
      if (w >= 1) w -= 1;
    }
    this.f1 = s1 + n;
    this.f2 = s2;
  }

  clear(): void {
    this.gains.fill(0);
    this.next = 0;
  }

  /** Records as plain numbers (for persistence), oldest first. */
  export(): { sum1: number; sum2: number; event: number; gain: number }[] {
    const out: { sum1: number; sum2: number; event: number; gain: number }[] = [];
    for (let k = this.capacity; k >= 1; k--) {
      const slot = (this.next - k + this.capacity * 2) % this.capacity;
      if (this.gains[slot] === 0) continue;
      out.push({
        sum1: this.sum1[slot] as number,
        sum2: this.sum2[slot] as number,
        event: this.events[slot] as number,
        gain: this.gains[slot] as number,
      });
    }
    return out;
  }

  /** Restores records produced by export() (the newest `capacity` are kept). */
  import(records: readonly { sum1: number; sum2: number; event: number; gain: number }[]): void {
    this.clear();
    for (const r of records.slice(-this.capacity)) {
      const slot = this.next % this.capacity;
      this.sum1[slot] = r.sum1;
      this.sum2[slot] = r.sum2;
      this.events[slot] = r.event;
      this.gains[slot] = r.gain;
      this.next = slot + 1;
    }
  }
}
