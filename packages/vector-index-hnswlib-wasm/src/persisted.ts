import { MicroLoraError } from '@microlora/core';
import { deleteRecord, getRecord, listKeys, openDatabase, putRecord } from './idb.js';

/** IndexedDB database and object store holding persist()ed indexes (one record per name). */
export const PERSIST_DATABASE = 'microlora-vector-index';
export const PERSIST_STORE = 'hnswlib-wasm';

async function withStore<T>(use: (db: IDBDatabase) => Promise<T>): Promise<T> {
  const db = await openDatabase(PERSIST_DATABASE, PERSIST_STORE, 1);
  try {
    return await use(db);
  } finally {
    db.close();
  }
}

function assertName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new MicroLoraError('INVALID_ARGUMENT', `a persisted index name must be a non-empty string, got ${String(name)}`);
  }
}

/** Stores a saved index under `name` (one IndexedDB put: atomic, replaces any previous one). */
export async function writePersisted(name: string, bytes: Uint8Array): Promise<void> {
  assertName(name);
  await withStore((db) => putRecord(db, PERSIST_STORE, name, bytes));
}

/** The bytes stored under `name`; NOT_FOUND when there are none. */
export async function readPersisted(name: string): Promise<Uint8Array> {
  assertName(name);
  const value = await withStore((db) => getRecord<unknown>(db, PERSIST_STORE, name));
  if (value === undefined) {
    throw new MicroLoraError('NOT_FOUND', `no index is persisted under ${JSON.stringify(name)}; call persist(name) first`, {
      details: { name },
    });
  }
  if (!(value instanceof Uint8Array)) {
    throw new MicroLoraError('CORRUPT_DATA', `the record persisted under ${JSON.stringify(name)} is not a byte array`);
  }
  return value;
}

/** Names of every persisted hnswlib-wasm index. */
export function listPersistedIndexes(): Promise<string[]> {
  return withStore((db) => listKeys(db, PERSIST_STORE));
}

/** Deletes the index persisted under `name` (no error when there is none). */
export async function deletePersistedIndex(name: string): Promise<void> {
  assertName(name);
  await withStore((db) => deleteRecord(db, PERSIST_STORE, name));
}
