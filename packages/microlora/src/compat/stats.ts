import { DISPOSE } from './dispose.js';

/** Statistics of a MicroLoraWasm (same getters and JSON keys as the original). */
export class MicroLoraStatsWasm {
  readonly #samplesSeen: number;
  readonly #avgQuality: number;
  readonly #memoryBytes: number;
  readonly #paramCount: number;

  /** @internal Built by MicroLoraWasm.stats(). */
  constructor(samplesSeen: number, avgQuality: number, memoryBytes: number, paramCount: number) {
    this.#samplesSeen = samplesSeen;
    this.#avgQuality = avgQuality;
    this.#memoryBytes = memoryBytes;
    this.#paramCount = paramCount;
  }

  /** adapt() calls since creation or reset(). */
  get samplesSeen(): number {
    return this.#samplesSeen;
  }
  /** Mean feedback quality (0 before any). */
  get avgQuality(): number {
    return this.#avgQuality;
  }
  /** Bytes of EVERY buffer the adapter holds (weights, their initial copy, pending updates, scratch), not just the factors. */
  get memoryBytes(): number {
    return this.#memoryBytes;
  }
  /** rank × (inFeatures + outFeatures). */
  get paramCount(): number {
    return this.#paramCount;
  }

  /** `{"samples_seen":…,"avg_quality":…,"memory_bytes":…,"param_count":…}` like the original. */
  toJson(): string {
    return JSON.stringify({
      samples_seen: this.#samplesSeen,
      avg_quality: this.#avgQuality,
      memory_bytes: this.#memoryBytes,
      param_count: this.#paramCount,
    });
  }

  /** No-op (wasm-bindgen compatibility). */
  free(): void {}

  /** `[Symbol.dispose]()`: the same as free(). */
  [DISPOSE](): void {
    this.free();
  }
}
