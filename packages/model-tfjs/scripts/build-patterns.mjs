#!/usr/bin/env node
// Builds weights/wordnet-patterns.mltl: rank-2 domain patterns for the committed model,
// harvested per domain and timestep bank through the learner's harvest path
// (harvestDomainPatterns), saved as one TaloraManager. Deterministic for a given model.
// Usage: node scripts/build-patterns.mjs [--texts 1200] [--shards 4] [--epochs 3] [--lr 0.2] [--weights file] [--out dir]
// (defaults: DEFAULT_HARVEST)
import { writeFileSync, renameSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DEFAULT_DOMAINS,
  DEFAULT_HARVEST,
  createPatternManager,
  domainTexts,
  harvestDomainPatterns,
  loadPretrainedModel,
  loadWordnetEntries,
  splitEntries,
} from '../dist/node.js';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const perDomain = Number(opt('texts', String(DEFAULT_HARVEST.textsPerDomain)));
const shards = Number(opt('shards', String(DEFAULT_HARVEST.shards)));
const epochs = Number(opt('epochs', String(DEFAULT_HARVEST.epochs)));
const learningRate = Number(opt('lr', String(DEFAULT_HARVEST.learningRate)));
const here = dirname(fileURLToPath(import.meta.url));
const outDir = opt('out', join(here, '..', 'weights'));
const weightsPath = opt('weights');

const model = await loadPretrainedModel(weightsPath ? { path: weightsPath } : {});
const { train } = splitEntries(loadWordnetEntries());
const texts = domainTexts(train, DEFAULT_DOMAINS, perDomain, 5);
const { patterns } = await harvestDomainPatterns(model, {
  texts,
  shards,
  epochs,
  learningRate,
  onProgress: (p) => console.log(`bank ${p.bank} · ${p.domain} · ${p.harvested} harvested · ${(p.elapsedMs / 1000).toFixed(0)} s`),
});
const talora = createPatternManager(model.config.dim, patterns);
const bytes = await talora.save();
mkdirSync(outDir, { recursive: true });
const file = join(outDir, 'wordnet-patterns.mltl');
writeFileSync(`${file}.tmp`, bytes);
renameSync(`${file}.tmp`, file);
console.log(`${patterns.length} patterns (${DEFAULT_DOMAINS.length} domains × ${talora.bankCount} banks × ≤ ${shards} shards) → ${file} (${bytes.length} bytes)`);

