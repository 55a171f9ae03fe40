const PRIOR = 0.5;

/**
 * The running quality baseline of REINFORCE: an exponential mean of the qualities
 * seen so far that starts from a prior of 0.5 (the middle of [0, 1]) holding full
 * weight, so sparse ratings move it gradually: with a bias-corrected mean the first
 * rating would become the baseline and a second identical rating would teach nothing.
 * The learner takes advantage = quality − value BEFORE observe(quality), so the
 * baseline never depends on the event it judges.
 */
export class QualityBaseline {
  private ema = PRIOR;
  private weight = 1;

  constructor(readonly decay: number) {}

  get value(): number {
    return this.weight > 0 ? this.ema / this.weight : PRIOR;
  }

  observe(quality: number): void {
    this.ema = this.decay * this.ema + (1 - this.decay) * quality;
    this.weight = this.decay * this.weight + (1 - this.decay);
  }

  reset(): void {
    this.ema = PRIOR;
    this.weight = 1;
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
