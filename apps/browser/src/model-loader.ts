import { MicroLoraError } from '@microlora/core';
import type { SimdOps } from '@microlora/simd';
import weightsUrl from '@microlora/model-tfjs/weights/wordnet-dlm.mldm?url';
import patternsUrl from '@microlora/model-tfjs/weights/wordnet-patterns.mltl?url';
import type { ByteStore } from './idb-bytes.js';
import { createChatModel, type ChatModel, type ModelFiles } from './model-state.js';
import type { TfBackendName } from './tfjs-backend-order.js';
import { activateTfBackend, type TfBackendChoice } from './tfjs-backends.js';

// The page saves through this chunk: model-state pulls in tfjs, which the main chunk does not load.
export { modelStateRecords } from './model-state.js';

export interface LoadedChatModel extends ChatModel {
  backend: TfBackendChoice;
  files: { weightsBytes: number; patternsBytes: number };
  /** Fetching both files (concurrent with the backend's init), and everything up to a ready inference (ms). */
  fetchMs: number;
  totalMs: number;
}

async function fetchBytes(url: string, what: string): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (cause) {
    throw new MicroLoraError('IO_ERROR', `could not fetch the ${what} (${url}): ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
  if (!response.ok) throw new MicroLoraError('IO_ERROR', `could not fetch the ${what} (${url}): HTTP ${response.status} ${response.statusText}`);
  return new Uint8Array(await response.arrayBuffer());
}

export interface LoadOptions {
  /** tfjs backends to try, best first (default TF_BACKENDS). */
  order?: readonly TfBackendName[];
  /** SIMD backend of the personal learner (the page's WebAssembly SIMD one). */
  simd?: SimdOps;
}

/**
 * Loads the chat model in the page (this module is its own chunk, with tfjs): fetches
 * the shipped weights and patterns, activates the first tfjs backend of `order` that
 * works, and builds the inference with the stored learner and pattern bank.
 */
export async function loadChatModel(store: ByteStore, options: LoadOptions = {}): Promise<LoadedChatModel> {
  const started = performance.now();
  let fetchMs = 0;
  const fetched = Promise.all([fetchBytes(weightsUrl, 'model weights'), fetchBytes(patternsUrl, 'pattern bank')]).then((bytes) => {
    fetchMs = performance.now() - started;
    return bytes;
  });
  const [[weights, patterns], backend] = await Promise.all([fetched, activateTfBackend(options.order)]);
  const files: ModelFiles = { weights, patterns };
  const model = await createChatModel(files, store, options.simd === undefined ? {} : { simd: options.simd });
  return { ...model, backend, files: { weightsBytes: weights.length, patternsBytes: patterns.length }, fetchMs, totalMs: performance.now() - started };
}
