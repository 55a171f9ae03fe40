#!/usr/bin/env node
// The quick-start demo. Part 1: one rank-2 768×768 adapter, quantised to int8, applied to a
// hidden state. Part 2: the request path through createMicroLora (store, retrieve, compose, apply).
// Part 3: a real (small) diffusion language model adapted per request, and learning from ratings.
import { SeededRng, createLora, loraFromFactors, loraParamCount } from '@microlora/core';
import { byteSize, compress, decompress, relativeFrobeniusError } from '@microlora/quantization';
import { getBackend } from '@microlora/simd';
// The umbrella registers the WASM SIMD backend, so getBackend() picks it where SIMD is available.
import { runDemo } from 'microlora';

const DIM = 768;
const RANK = 2;
const rng = new SeededRng('microlora-demo');
const simd = getBackend();

// A fresh adapter starts with B = 0 (ΔW = 0); give B values like a trained adapter has.
const fresh = createLora({ rank: RANK, inFeatures: DIM, outFeatures: DIM, alpha: 4, seed: 7 });
const lora = loraFromFactors({ ...fresh, b: rng.fillNormal(new Float32Array(RANK * DIM), 0.05) });

const compressed = compress(lora, 'per-row');
const restored = decompress(compressed);

const hidden = rng.fillNormal(new Float32Array(DIM));
const exact = new Float32Array(DIM);
const viaInt8 = new Float32Array(DIM);
simd.loraApply(lora, hidden, exact);
simd.loraApply(restored, hidden, viaInt8);

const norm = (v: Float32Array): number => Math.sqrt(simd.dot(v, v));
let diff = 0;
for (let i = 0; i < DIM; i++) diff += ((exact[i] as number) - (viaInt8[i] as number)) ** 2;

const iterations = 20_000;
const scratch = new Float32Array(DIM);
const t0 = performance.now();
for (let i = 0; i < iterations; i++) simd.loraApply(restored, hidden, scratch);
const nsPerApply = ((performance.now() - t0) * 1e6) / iterations;

const f32Bytes = loraParamCount(lora) * 4;
const int8Bytes = byteSize(compressed);
console.log(`── Part 1: one adapter ──\nMicroLoRA demo — SIMD backend "${simd.name}"
adapter     rank ${RANK}, ${DIM}→${DIM}, alpha ${lora.alpha} (scaling ${lora.scaling}), ${loraParamCount(lora)} parameters
size        f32 ${f32Bytes} B → int8 per-row ${int8Bytes} B (${(f32Bytes / int8Bytes).toFixed(2)}× smaller, codec header and CRC included)
int8 error  relative Frobenius error of ΔW: ${(100 * relativeFrobeniusError(lora, compressed)).toFixed(3)} %
apply       y = h + s·B(A h) on a ${DIM}-d hidden state: ‖h‖ = ${norm(hidden).toFixed(3)}, ‖ΔW h‖ = ${norm(exact).toFixed(4)}
            int8 vs f32 output: relative difference ${(Math.sqrt(diff) / norm(exact)).toExponential(2)}
speed       ${nsPerApply.toFixed(0)} ns per apply (mean of ${iterations}; see \`npm run bench\` for p50/p99)`);

console.log('\n── Part 2: per-request adaptation with createMicroLora ──');
const summary = await runDemo((line) => console.log(line));
if (!summary.roundTripIdentical) process.exitCode = 1;

console.log('\n── Part 3: a diffusion language model adapted per request (@microlora/model-tfjs) ──');
const { loadPretrainedInference } = await import('@microlora/model-tfjs/node');
const inference = await loadPretrainedInference();
console.log(`committed char model (trained on WordNet glosses) + ${inference.talora.size} harvested rank-2 patterns in ${inference.talora.bankCount} TALoRA banks`);
const domainsOf = (ids: readonly string[]) => [...new Set(ids.map((id) => id.replace(/^b\d\//, '').replace(/:\d+$/, '')))].join(', ');
for (const query of ['oak: ', 'salmon: ', 'sprint: ']) {
  const base = inference.generate(query, { adapt: false });
  const adapted = inference.generate(query);
  const used = adapted.trajectory.steps.flatMap((s) => s.sources);
  console.log(`${JSON.stringify(query)}\n  base     ${JSON.stringify(base.text)}\n  adapted  ${JSON.stringify(adapted.text)}  (${adapted.latencyMs.toFixed(0)} ms, DGR ${adapted.trajectory.dgrRetrievals}×, patterns from ${domainsOf(used)})`);
}
// 👎 three times on the same reply: the personal adapter pushes those characters away.
const disliked = inference.generate('salmon: ');
for (let i = 0; i < 3; i++) inference.feedback(disliked, 0);
const after = inference.generate('salmon: ');
console.log(`after 3 × 👎 on ${JSON.stringify(disliked.text)}:\n  now      ${JSON.stringify(after.text)}  (personal adapter ‖ΔW‖ = ${inference.learner?.deltaNorm().toFixed(3) ?? 'n/a'})`);
