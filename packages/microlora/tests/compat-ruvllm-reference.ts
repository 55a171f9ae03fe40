// A float32 re-implementation of @ruvector/ruvllm-wasm 2.0's MicroLoRA internals
// (LoraAdapterInternal), written from its documented behaviour, to produce JSON
// in its format and to check that we read it the way it computes.
const f = Math.fround;

export interface RuvllmState {
  adapter: {
    lora_a: number[];
    lora_b: number[];
    scaling: number;
    rank: number;
    in_features: number;
    out_features: number;
    grad_a: number[];
    grad_b: number[];
    grad_count: number;
  };
  samples_seen: number;
  quality_sum: number;
}

export function ruvllmNew(inFeatures: number, outFeatures: number, rank: number, alpha: number): RuvllmState {
  const std = f(f(Math.sqrt(f(2 / inFeatures))) * f(0.01));
  const loraA: number[] = [];
  for (let k = 0; k < inFeatures * rank; k++) loraA.push(f(f(f((f(k * f(0.618033988749895)) % 1) - 0.5) * 2) * std));
  return {
    adapter: {
      lora_a: loraA,
      lora_b: new Array<number>(rank * outFeatures).fill(0),
      scaling: f(alpha / rank),
      rank,
      in_features: inFeatures,
      out_features: outFeatures,
      grad_a: new Array<number>(inFeatures * rank).fill(0),
      grad_b: new Array<number>(rank * outFeatures).fill(0),
      grad_count: 0,
    },
    samples_seen: 0,
    quality_sum: 0,
  };
}

function intermediate(s: RuvllmState, input: ArrayLike<number>): number[] {
  const { rank, in_features: n, lora_a } = s.adapter;
  const h: number[] = [];
  for (let r = 0; r < rank; r++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum = f(sum + f((input[i] as number) * (lora_a[i * rank + r] as number)));
    h.push(sum);
  }
  return h;
}

/** output[o] = Σ_r h_r·lora_b[r·out + o]·scaling (float32). */
export function ruvllmApply(s: RuvllmState, input: ArrayLike<number>): Float32Array {
  const { rank, out_features: m, lora_b, scaling } = s.adapter;
  const h = intermediate(s, input);
  const out = new Float32Array(m);
  for (let o = 0; o < m; o++) {
    let sum = 0;
    for (let r = 0; r < rank; r++) sum = f(sum + f((h[r] as number) * (lora_b[r * m + o] as number)));
    out[o] = f(sum * scaling);
  }
  return out;
}

/** The original's update "gradient": reward = 2·(quality − 0.5), no direction from the output. */
export function ruvllmAdapt(s: RuvllmState, input: ArrayLike<number>, quality: number): void {
  const { rank, in_features: n, out_features: m, scaling } = s.adapter;
  const h = intermediate(s, input);
  const reward = f(f(quality - 0.5) * 2);
  for (let r = 0; r < rank; r++) {
    for (let o = 0; o < m; o++) {
      const idx = r * m + o;
      s.adapter.grad_b[idx] = f((s.adapter.grad_b[idx] as number) + f(f(f((h[r] as number) * reward) * scaling) * f(0.01)));
    }
  }
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < rank; r++) {
      const idx = i * rank + r;
      s.adapter.grad_a[idx] = f((s.adapter.grad_a[idx] as number) + f(f(f((input[i] as number) * reward) * scaling) * f(0.01)));
    }
  }
  s.adapter.grad_count++;
  s.samples_seen++;
  s.quality_sum = f(s.quality_sum + quality);
}

/** W −= grad · lr / count, then the gradients are cleared. */
export function ruvllmApplyUpdates(s: RuvllmState, learningRate: number): void {
  if (s.adapter.grad_count === 0) return;
  const scale = f(learningRate / s.adapter.grad_count);
  s.adapter.lora_a = s.adapter.lora_a.map((v, i) => f(v - f((s.adapter.grad_a[i] as number) * scale)));
  s.adapter.lora_b = s.adapter.lora_b.map((v, i) => f(v - f((s.adapter.grad_b[i] as number) * scale)));
  s.adapter.grad_a.fill(0);
  s.adapter.grad_b.fill(0);
  s.adapter.grad_count = 0;
}
