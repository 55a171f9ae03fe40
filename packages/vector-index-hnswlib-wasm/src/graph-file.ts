import { corrupt } from '@microlora/vector-index';
import { MicroLoraError } from '@microlora/core';
import { deleteRecord, getRecord, openDatabase, putRecord } from './idb.js';
import { IDBFS_MOUNT, syncFileSystem, waitForFileSystemSynced, wasmErrorMessage } from './hnswlib-wasm.js';
import type { HnswlibWasmModule, WasmHnsw, WasmSpaceName } from './hnswlib-wasm.js';

/**
 * hnswlib-wasm reads and writes graphs only as files in its IndexedDB-backed file
 * system and does not export emscripten's FS. A graph therefore reaches bytes by
 * writeIndex → sync to IndexedDB → read the IDBFS record, and comes back by
 * writing the record → sync from IndexedDB → readIndex. The temp file is removed both
 * ways. Everything here runs one at a time: two interleaved syncs could resurrect or
 * drop each other's files.
 */

/** The shape emscripten's IDBFS stores per file. */
interface IdbfsEntry {
  timestamp: Date;
  mode: number;
  contents: ArrayBufferView;
}

const IDBFS_STORE = 'FILE_DATA';
const REGULAR_FILE_MODE = 0o100666;

let queue: Promise<unknown> = Promise.resolve();
let counter = 0;

function exclusive<T>(task: () => Promise<T>): Promise<T> {
  const run = queue.then(task, task);
  queue = run.catch(() => undefined);
  return run;
}

function tempName(): string {
  counter = (counter + 1) % 1_000_000;
  return `microlora-${Date.now().toString(36)}-${counter}-${Math.floor(Math.random() * 2 ** 32).toString(36)}.bin`;
}

async function removeTemp(db: IDBDatabase, path: string): Promise<void> {
  await deleteRecord(db, IDBFS_STORE, path);
  // Pulling from IndexedDB drops local files that are no longer there.
  await syncFileSystem('read');
}

/**
 * hnswlib's own index file for `graph`, as bytes, plus `capture()` taken right after
 * the file was written (same tick), so caller state matches the file exactly.
 */
export function graphToBytes<T>(graph: WasmHnsw, capture: () => T): Promise<{ bytes: Uint8Array; captured: T }> {
  return exclusive(async () => {
    const name = tempName();
    const path = `${IDBFS_MOUNT}/${name}`;
    graph.writeIndex(name);
    const captured = capture();
    // writeIndex starts the library's own background sync; let it finish before ours.
    await waitForFileSystemSynced().catch(() => undefined);
    await syncFileSystem('write');
    const db = await openDatabase(IDBFS_MOUNT);
    try {
      const entry = await getRecord<IdbfsEntry>(db, IDBFS_STORE, path);
      if (entry === undefined || !ArrayBuffer.isView(entry.contents)) {
        throw new MicroLoraError('IO_ERROR', `hnswlib-wasm wrote ${name}, but it did not reach IndexedDB`);
      }
      const view = entry.contents;
      return { bytes: new Uint8Array(view.buffer, view.byteOffset, view.byteLength).slice(), captured };
    } finally {
      await removeTemp(db, path).finally(() => db.close());
    }
  });
}

/** A new graph read from bytes produced by graphToBytes(); CORRUPT_DATA if hnswlib rejects them. */
export function bytesToGraph(
  module: HnswlibWasmModule,
  space: WasmSpaceName,
  dimension: number,
  bytes: Uint8Array,
  maxElements: number,
  what: string,
): Promise<WasmHnsw> {
  return exclusive(async () => {
    const name = tempName();
    const path = `${IDBFS_MOUNT}/${name}`;
    const db = await openDatabase(IDBFS_MOUNT);
    try {
      const entry: IdbfsEntry = { timestamp: new Date(), mode: REGULAR_FILE_MODE, contents: bytes.slice() };
      await putRecord(db, IDBFS_STORE, path, entry);
      await syncFileSystem('read');
      const graph = new module.HierarchicalNSW(space, dimension, '');
      try {
        await graph.readIndex(name, maxElements);
      } catch (cause) {
        graph.delete?.();
        throw corrupt(what, `hnswlib rejected the graph (${wasmErrorMessage(cause, module)})`, cause);
      }
      return graph;
    } finally {
      await removeTemp(db, path).finally(() => db.close());
    }
  });
}
