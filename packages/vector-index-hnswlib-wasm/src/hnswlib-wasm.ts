import { MicroLoraError } from '@microlora/core';
// hnswlib-wasm ships no "exports"/"main" and its .d.ts re-exports './index' without an
// extension, which NodeNext cannot follow; so the few members used here are typed below.
import * as loader from 'hnswlib-wasm/dist/hnswlib.js';

export type WasmSpaceName = 'l2' | 'ip' | 'cosine';

/** The members of hnswlib-wasm's HierarchicalNSW this package uses. */
export interface WasmHnsw {
  initIndex(maxElements: number, m: number, efConstruction: number, randomSeed: number): void;
  readIndex(filename: string, maxElements: number): unknown;
  writeIndex(filename: string): unknown;
  resizeIndex(newMaxElements: number): void;
  addPoint(point: Float32Array | number[], label: number, replaceDeleted: boolean): void;
  markDelete(label: number): void;
  unmarkDelete(label: number): void;
  searchKnn(
    query: Float32Array | number[],
    k: number,
    filter: ((label: number) => boolean) | undefined,
  ): { distances: number[]; neighbors: number[] };
  getUsedLabels(): number[];
  getDeletedLabels(): number[];
  getMaxElements(): number;
  getCurrentCount(): number;
  getNumDimensions(): number;
  getEfSearch(): number;
  setEfSearch(ef: number): void;
  /** Frees the wasm memory of this graph (embind). */
  delete?(): void;
}

export interface HnswlibWasmModule {
  HierarchicalNSW: new (space: WasmSpaceName, dimension: number, autoSaveFilename: string) => WasmHnsw;
  EmscriptenFileSystemManager: { checkFileExists(filename: string): boolean; isSynced(): boolean };
  getExceptionMessage?(error: unknown): [string, string];
}

interface Loader {
  loadHnswlib(): Promise<HnswlibWasmModule>;
  syncFileSystem(action: 'read' | 'write'): Promise<void>;
  waitForFileSystemSynced(): Promise<void>;
}

const hnswlibLoader = loader as unknown as Loader;

/** IndexedDB database and path prefix of hnswlib-wasm's IDBFS mount (its writeIndex/readIndex files live here). */
export const IDBFS_MOUNT = '/hnswlib-index';

let loading: Promise<HnswlibWasmModule> | undefined;

/**
 * Instantiates hnswlib-wasm once per realm (it is asynchronous: the wasm is compiled
 * and its IndexedDB-backed file system mounted). Later calls return the same module.
 * BACKEND_UNAVAILABLE when the environment lacks what it needs (a `window`, IndexedDB).
 */
export function loadHnswlibWasm(): Promise<HnswlibWasmModule> {
  loading ??= hnswlibLoader.loadHnswlib().catch((cause: unknown) => {
    loading = undefined;
    throw new MicroLoraError(
      'BACKEND_UNAVAILABLE',
      `hnswlib-wasm failed to load (${wasmErrorMessage(cause)}); it needs a browser-like global \`window\` and IndexedDB — in Node use @microlora/vector-index-hnswlib-node`,
      { cause },
    );
  });
  return loading;
}

/** Pushes ('write') or pulls ('read') hnswlib-wasm's in-memory files to or from IndexedDB. */
export function syncFileSystem(action: 'read' | 'write'): Promise<void> {
  return hnswlibLoader.syncFileSystem(action);
}

/** Resolves once the library's own background sync (started by writeIndex) has finished. */
export function waitForFileSystemSynced(): Promise<void> {
  return hnswlibLoader.waitForFileSystemSynced();
}

/** A readable message from a C++ exception thrown through embind (or any error). */
export function wasmErrorMessage(error: unknown, module?: HnswlibWasmModule): string {
  try {
    const pair = module?.getExceptionMessage?.(error);
    if (Array.isArray(pair)) return pair.filter(Boolean).join(': ');
  } catch {
    // not a C++ exception
  }
  const message = (error as { message?: unknown } | null)?.message;
  if (Array.isArray(message)) return message.join(': ');
  if (typeof message === 'string') return message;
  return String(error);
}
