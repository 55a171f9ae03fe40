/**
 * The running quality baseline of REINFORCE: a bias-corrected exponential mean
 * of the qualities seen so far (0.5, the middle of [0, 1], before any).
 * The learner takes advantage = quality − value BEFORE observe(quality), so the
 * baseline never depends on the event it judges.
 */
export class QualityBaseline {
  private ema = 0;
  private weight = 0;

  constructor(readonly decay: number) {}

  get value(): number {
    return this.weight > 0 ? this.ema / this.weight : 0.5;
  }

  observe(quality: number): void {
    this.ema = this.decay * this.ema + (1 - this.decay) * quality;
    this.weight = this.decay * this.weight + (1 - this.decay);
  }

  reset(): void {
    this.ema = 0;
    this.weight = 0;
  }

  /** [ema, weight] for persistence. */
  export(): [number, number] {
    return [this.ema, this.weight];
  }

  import(ema: number, weight: number): void {
    this.ema = ema;
    this.weight = weight;
  }
}
