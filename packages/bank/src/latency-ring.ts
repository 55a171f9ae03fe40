/** The last `capacity` latencies (µs) in a fixed ring, for percentile stats without growth. */
export class LatencyRing {
  private readonly values: Float64Array;
  private next = 0;
  private filled = 0;

  constructor(capacity: number) {
    this.values = new Float64Array(capacity);
  }

  record(micros: number): void {
    this.values[this.next] = micros;
    this.next = (this.next + 1) % this.values.length;
    if (this.filled < this.values.length) this.filled++;
  }

  /** The q-quantile (0..1, nearest rank) of the kept values, NaN when empty. */
  quantile(q: number): number {
    if (this.filled === 0) return Number.NaN;
    const sorted = this.values.slice(0, this.filled).sort();
    const pos = Math.min(this.filled - 1, Math.max(0, Math.ceil(q * this.filled) - 1));
    return sorted[pos] as number;
  }

  get count(): number {
    return this.filled;
  }
}
