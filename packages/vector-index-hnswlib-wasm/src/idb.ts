import { MicroLoraError } from '@microlora/core';

function ioError(action: string, cause: unknown): MicroLoraError {
  return new MicroLoraError('IO_ERROR', `IndexedDB ${action} failed: ${(cause as Error)?.message ?? String(cause)}`, {
    cause,
  });
}

function settle<T>(request: IDBRequest<T>, action: string): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(ioError(action, request.error));
  });
}

function committed(tx: IDBTransaction, action: string): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(ioError(action, tx.error));
    tx.onabort = () => reject(ioError(action, tx.error));
  });
}

/** Opens `name` (creating `store` on first use when `version` is given). */
export function openDatabase(name: string, store?: string, version?: number): Promise<IDBDatabase> {
  const factory = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (factory === undefined) {
    return Promise.reject(
      new MicroLoraError('BACKEND_UNAVAILABLE', 'IndexedDB is not available in this environment; persistence needs a browser (or fake-indexeddb in tests)'),
    );
  }
  const request = version === undefined ? factory.open(name) : factory.open(name, version);
  request.onupgradeneeded = () => {
    if (store !== undefined && !request.result.objectStoreNames.contains(store)) request.result.createObjectStore(store);
  };
  return settle(request, `open of database ${name}`);
}

export async function getRecord<T>(db: IDBDatabase, store: string, key: string): Promise<T | undefined> {
  const tx = db.transaction([store], 'readonly');
  return (await settle(tx.objectStore(store).get(key), `read of ${key}`)) as T | undefined;
}

/** Writes one record; resolves once the transaction has committed. */
export async function putRecord(db: IDBDatabase, store: string, key: string, value: unknown): Promise<void> {
  const tx = db.transaction([store], 'readwrite');
  tx.objectStore(store).put(value, key);
  await committed(tx, `write of ${key}`);
}

export async function deleteRecord(db: IDBDatabase, store: string, key: string): Promise<void> {
  const tx = db.transaction([store], 'readwrite');
  tx.objectStore(store).delete(key);
  await committed(tx, `delete of ${key}`);
}

export async function listKeys(db: IDBDatabase, store: string): Promise<string[]> {
  const tx = db.transaction([store], 'readonly');
  return (await settle(tx.objectStore(store).getAllKeys(), `listing of ${store}`)).map(String);
}
