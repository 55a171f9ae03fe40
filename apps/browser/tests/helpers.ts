import { isMicroLoraError } from '@microlora/core';
import type { ByteStore } from '../src/idb-bytes.js';
import type { KeyValueStorage } from '../src/app-storage.js';

/** localStorage stand-in for Node. */
export class MemoryStorage implements KeyValueStorage {
  readonly items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
}

/** IndexedDB byte store stand-in for Node; counts writes. */
export class MemoryByteStore implements ByteStore {
  readonly records = new Map<string, Uint8Array>();
  puts = 0;
  get(key: string): Promise<Uint8Array | undefined> {
    return Promise.resolve(this.records.get(key));
  }
  put(key: string, bytes: Uint8Array): Promise<void> {
    this.puts++;
    this.records.set(key, bytes.slice());
    return Promise.resolve();
  }
  putMany(records: ReadonlyArray<readonly [string, Uint8Array]>): Promise<void> {
    this.puts++;
    for (const [key, bytes] of records) this.records.set(key, bytes.slice());
    return Promise.resolve();
  }
  delete(key: string): Promise<void> {
    this.records.delete(key);
    return Promise.resolve();
  }
}

/** The MicroLoraError code `run` throws ('nothing thrown' if none, the message of another error). */
export function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return isMicroLoraError(error) ? error.code : String(error);
  }
  return 'nothing thrown';
}
