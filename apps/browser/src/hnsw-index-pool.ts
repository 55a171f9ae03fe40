import { MicroLoraError, type IndexFactory, type TimestepRange } from 'microlora';
import { createHnswIndex, type HnswIndex, type HnswIndexOptions } from '@microlora/vector-index-hnswlib-wasm';

/** hnswlib-wasm indexes created ahead of time, handed to MicroLoRA's synchronous index factory. */
export interface HnswIndexPool {
  /** For createMicroLora / loadMicroLora `index`: bank i gets indexes[i], once. */
  factory: IndexFactory;
  indexes: readonly HnswIndex[];
  /** Frees the graphs' wasm memory (embind objects are not garbage-collected). */
  dispose(): void;
}

/**
 * createHnswIndex is asynchronous (the wasm module loads and mounts its IndexedDB file
 * system first) but MicroLoRA asks for indexes synchronously while it builds its banks,
 * so one index per bank is created before createMicroLora / loadMicroLora runs.
 */
export async function createHnswIndexPool(banks: number, options: HnswIndexOptions): Promise<HnswIndexPool> {
  if (!Number.isInteger(banks) || banks < 1) {
    throw new MicroLoraError('INVALID_ARGUMENT', `an index pool needs a positive whole number of banks, got ${String(banks)}`);
  }
  const indexes: HnswIndex[] = [];
  for (let i = 0; i < banks; i++) indexes.push(await createHnswIndex(options));
  const handedOut = new Set<number>();
  const factory: IndexFactory = (bank: number, range: TimestepRange) => {
    const index = indexes[bank];
    if (index === undefined || handedOut.has(bank)) {
      throw new MicroLoraError(
        'INVALID_ARGUMENT',
        `no unused hnswlib-wasm index for bank ${bank} ([${range[0]}, ${range[1]}]): this pool holds ${banks}; create a pool per MicroLoRA instance`,
      );
    }
    handedOut.add(bank);
    return index;
  };
  return {
    factory,
    indexes,
    dispose: () => indexes.forEach((index) => index.dispose()),
  };
}
