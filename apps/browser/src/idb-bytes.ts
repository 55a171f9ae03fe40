import { MicroLoraError } from 'microlora';

/** A tiny IndexedDB key → bytes store (one database, one object store). */
export interface ByteStore {
  get(key: string): Promise<Uint8Array | undefined>;
  put(key: string, bytes: Uint8Array): Promise<void>;
  /** Writes several records in one transaction: all of them or none. */
  putMany(records: ReadonlyArray<readonly [string, Uint8Array]>): Promise<void>;
  delete(key: string): Promise<void>;
}

function ioError(action: string, cause: unknown): MicroLoraError {
  const message = cause instanceof Error ? cause.message : String(cause);
  return new MicroLoraError('IO_ERROR', `IndexedDB ${action} failed: ${message}`, { cause });
}

function open(database: string, store: string): Promise<IDBDatabase> {
  const factory = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (factory === undefined) {
    return Promise.reject(new MicroLoraError('BACKEND_UNAVAILABLE', 'IndexedDB is not available here (private mode or a non-browser environment)'));
  }
  return new Promise((resolve, reject) => {
    const request = factory.open(database, 1);
    request.onupgradeneeded = () => {
      if (!request.result.objectStoreNames.contains(store)) request.result.createObjectStore(store);
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(ioError(`open of ${database}`, request.error));
    request.onblocked = () => reject(ioError(`open of ${database}`, new Error('blocked by another tab holding an older version')));
  });
}

/** Runs one request in its own transaction; resolves with its result once the transaction committed. */
async function transact<T>(
  database: string,
  store: string,
  mode: IDBTransactionMode,
  action: string,
  run: (objects: IDBObjectStore) => IDBRequest,
): Promise<T> {
  const db = await open(database, store);
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction([store], mode);
      const request = run(tx.objectStore(store));
      tx.oncomplete = () => resolve(request.result as T);
      tx.onerror = () => reject(ioError(action, tx.error ?? request.error));
      tx.onabort = () => reject(ioError(action, tx.error ?? new Error('transaction aborted')));
    });
  } finally {
    db.close();
  }
}

export function openByteStore(database: string, store: string): ByteStore {
  return {
    async get(key) {
      const value = await transact<unknown>(database, store, 'readonly', `read of ${key}`, (s) => s.get(key));
      if (value === undefined) return undefined;
      if (!(value instanceof Uint8Array)) {
        throw new MicroLoraError('CORRUPT_DATA', `the IndexedDB record ${JSON.stringify(key)} is not a byte array`);
      }
      return value;
    },
    async put(key, bytes) {
      await transact(database, store, 'readwrite', `write of ${key}`, (s) => s.put(bytes, key));
    },
    async putMany(records) {
      if (records.length === 0) return;
      const keys = records.map(([key]) => key).join(', ');
      await transact(database, store, 'readwrite', `write of ${keys}`, (s) => {
        let last: IDBRequest | undefined;
        for (const [key, bytes] of records) last = s.put(bytes, key);
        return last as IDBRequest;
      });
    },
    async delete(key) {
      await transact(database, store, 'readwrite', `delete of ${key}`, (s) => s.delete(key));
    },
  };
}
