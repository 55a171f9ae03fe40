import { SeededRng, createMicroLora, loadMicroLora, loraFromFactors } from 'microlora';
import init, { AdaptFeedbackWasm, MicroLoraConfigWasm, MicroLoraWasm } from 'microlora/compat';
import { createHnswIndex } from '@microlora/vector-index-hnswlib-wasm';

console.log((await init()).backend); // wasm (the embedded WebAssembly SIMD backend; js without SIMD128)
const rng = new SeededRng(1);
const pattern = loraFromFactors({ rank: 1, inFeatures: 768, outFeatures: 768, a: rng.fillNormal(new Float32Array(768), 0.036), b: rng.fillNormal(new Float32Array(768), 0.02) });
const index = await createHnswIndex({ dimension: 768, metric: 'cosine' }); // async, so made before createMicroLora
const micro = createMicroLora({ index: () => index, boundaries: [0, 1] }); // one bank, searched by hnswlib-wasm
micro.insertPattern({ id: 'pasta', query: 'pasta recipe with fresh basil', lora: pattern });
const request = micro.adapterWithSources('easy pasta recipe for dinner', 0);
const hidden = micro.apply(rng.fillNormal(new Float32Array(768)), request.adapter); // your model's h + ΔW·h
const user = new MicroLoraWasm(new MicroLoraConfigWasm()); // the user's own adapter: rank 2, 768 → 768
const feedback = new AdaptFeedbackWasm(1); // quality in [0, 1]
feedback.gradient = rng.fillNormal(new Float32Array(768), 0.01); // ∂loss/∂output from your model
console.log(user.adapt(hidden, feedback), micro.feedback(request, { quality: 1 })); // gradient 1
user.applyUpdates(0.01);
localStorage.setItem('my-adapter', user.toJson()); // later: MicroLoraWasm.fromJson(json)
const empty = await createHnswIndex({ dimension: 768, metric: 'cosine' });
const restored = await loadMicroLora(await micro.save(), { index: () => empty }); // IndexedDB-able bytes
console.log(request.sources[0]?.id, restored.stats().patterns, MicroLoraWasm.fromJson(localStorage.getItem('my-adapter')!).stats().samplesSeen); // pasta 1 1
document.body.dataset['ready'] = 'true';
