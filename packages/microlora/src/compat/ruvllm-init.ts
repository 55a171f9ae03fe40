/**
 * The initial A of an `@ruvector/ruvllm-wasm` 2.0 adapter, converted to our
 * rank-major layout. The original fills lora_a (in × rank, index i·rank + r)
 * with ((k·0.618033988749895) mod 1 − 0.5)·2·std, k the flat index and
 * std = √(2/in)·0.01, all in float32 — reproduced exactly with Math.fround, so
 * that reset() of an imported adapter returns to the original's initial state.
 */
export function ruvllmInitialA(rank: number, inFeatures: number): Float32Array {
  const f = Math.fround;
  const std = f(f(Math.sqrt(f(2 / inFeatures))) * f(0.01));
  const golden = f(0.618033988749895);
  const a = new Float32Array(rank * inFeatures);
  for (let k = 0; k < rank * inFeatures; k++) {
    const frac = f(k * golden) % 1;
    const value = f(f(f(frac - 0.5) * 2) * std);
    const i = Math.floor(k / rank);
    const r = k % rank;
    a[r * inFeatures + i] = value;
  }
  return a;
}
