import { MicroLoraError, assertDimension } from '@microlora/core';
import { TaloraManager } from '@microlora/talora';
import { MicroLora } from './micro-lora.js';
import { MICROLORA_FORMAT, decodeMicroLoraFile, embedderFingerprint } from './micro-lora-codec.js';
import {
  DEFAULT_HIDDEN_SIZE,
  resolveBackend,
  resolveCapacity,
  resolveEmbedder,
  resolveIndex,
  type IndexFactory,
  type MicroLoraOptions,
} from './options.js';

/**
 * A ready MicroLoRA with embedded defaults: the hashing embedder (768-d), three
 * TALoRA banks of 10 000 patterns over the fast Hamming index, Discrete
 * interpolation (k = 5), exact weighted-average composition and the best SIMD
 * backend (wasm, else js). Every default can be overridden.
 */
export function createMicroLora(options: MicroLoraOptions = {}): MicroLora {
  if (typeof options !== 'object' || options === null) {
    throw new MicroLoraError('INVALID_ARGUMENT', 'createMicroLora options must be an object');
  }
  const embedder = resolveEmbedder(options.embedder, options.dimension);
  const hiddenSize = options.hiddenSize ?? DEFAULT_HIDDEN_SIZE;
  assertDimension('hiddenSize', hiddenSize);
  const index = resolveIndex(options.index, embedder.dimension);
  const backend = resolveBackend(options.backend);
  const manager = new TaloraManager({
    ...(options.boundaries === undefined ? {} : { boundaries: options.boundaries }),
    bank: {
      ...options.bank,
      maxPatterns: resolveCapacity(options.maxPatternsPerBank),
      dimension: embedder.dimension,
      createIndex: index.create,
    },
    ...(options.interpolation === undefined ? {} : { interpolation: options.interpolation }),
    ...(options.composer === undefined ? {} : { composer: options.composer }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.onEvict === undefined ? {} : { onEvict: options.onEvict }),
    // The SIMD backend also decompresses int8 patterns while composing (faster than the scalar path).
    backend,
    inFeatures: hiddenSize,
    outFeatures: hiddenSize,
  });
  return new MicroLora({
    embedder,
    manager,
    backend,
    indexKind: index.kind,
    hiddenSize,
    ...(index.fallbackReason === undefined ? {} : { indexFallbackReason: index.fallbackReason }),
  });
}

/** Options of loadMicroLora: what the file does not hold (boundaries, capacities and bank settings are restored). */
export type LoadMicroLoraOptions = Pick<
  MicroLoraOptions,
  'embedder' | 'backend' | 'interpolation' | 'composer' | 'clock' | 'onEvict'
> & {
  /** Required only for files saved with a custom index factory: the same factory. */
  index?: IndexFactory;
};

/**
 * Restores a MicroLoRA from save() bytes. The embedder must be the one the patterns
 * were stored with (checked by fingerprint: INVALID_ARGUMENT otherwise). Truncated or
 * corrupted bytes → CORRUPT_DATA; another format version → UNSUPPORTED_VERSION.
 */
export async function loadMicroLora(bytes: Uint8Array, options: LoadMicroLoraOptions = {}): Promise<MicroLora> {
  if (typeof options !== 'object' || options === null) {
    throw new MicroLoraError('INVALID_ARGUMENT', 'loadMicroLora options must be an object');
  }
  const contents = decodeMicroLoraFile(bytes);
  const embedder = resolveEmbedder(options.embedder, options.embedder === undefined ? contents.dimension : undefined);
  if (embedder.dimension !== contents.dimension) {
    throw new MicroLoraError(
      'DIMENSION_MISMATCH',
      `the saved ${MICROLORA_FORMAT.what} uses ${contents.dimension}-d embeddings but the embedder makes ${embedder.dimension}-d ones`,
      { details: { saved: contents.dimension, embedder: embedder.dimension } },
    );
  }
  if (embedderFingerprint(embedder) !== contents.embedderFingerprint) {
    throw new MicroLoraError(
      'INVALID_ARGUMENT',
      'the embedder differs from the one the patterns were stored with (its output on a probe text changed); load with the same embedder and seed',
    );
  }
  let index;
  if (contents.indexKind === 'custom') {
    if (typeof options.index !== 'function') {
      throw new MicroLoraError('INVALID_ARGUMENT', 'this MicroLoRA was saved with a custom index; pass the same factory as options.index');
    }
    index = resolveIndex(options.index, embedder.dimension);
  } else {
    index = resolveIndex(contents.indexKind === 'hamming' ? 'fast' : 'exact', embedder.dimension);
  }
  const backend = resolveBackend(options.backend);
  const manager = await TaloraManager.load(contents.manager, {
    createIndex: index.create,
    backend,
    ...(options.interpolation === undefined ? {} : { interpolation: options.interpolation }),
    ...(options.composer === undefined ? {} : { composer: options.composer }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.onEvict === undefined ? {} : { onEvict: options.onEvict }),
  });
  const shape = manager.adapterShape;
  if (shape === undefined || shape.inFeatures !== contents.hiddenSize || shape.outFeatures !== contents.hiddenSize) {
    throw new MicroLoraError('CORRUPT_DATA', `${MICROLORA_FORMAT.what} bytes are corrupt: the banks do not hold ${contents.hiddenSize}-feature adapters`);
  }
  return new MicroLora({ embedder, manager, backend, indexKind: index.kind, hiddenSize: contents.hiddenSize });
}
