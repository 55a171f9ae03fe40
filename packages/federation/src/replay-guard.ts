import { MicroLoraError, assertInteger } from '@microlora/core';

export interface ReplayGuardOptions {
  /** Keys remembered (default 65 536). An import adds 1 + 2 × patterns keys. */
  capacity?: number;
}

/**
 * Bounded memory of what an importer has accepted: bundle hashes, pattern ids
 * and content hashes, each with the creation time of the bundle that brought it.
 *
 * When full it forgets the oldest key and raises `floor` to that key's bundle
 * time; importBundle rejects every bundle created at or before the floor. So a
 * byte-for-byte replay is always caught (its signed time is ≤ the floor once
 * its keys are gone), at the price of refusing bundles older than the memory.
 */
export class ReplayGuard {
  readonly capacity: number;
  private readonly keys = new Map<string, number>();
  private floorMs = Number.NEGATIVE_INFINITY;

  constructor(options: ReplayGuardOptions = {}) {
    const capacity = options.capacity ?? 65_536;
    assertInteger('capacity', capacity, 1, 1 << 26);
    this.capacity = capacity;
  }

  /** Bundles created at or before this time cannot be proven fresh. −∞ until something was forgotten. */
  get floor(): number {
    return this.floorMs;
  }

  get size(): number {
    return this.keys.size;
  }

  has(key: string): boolean {
    return this.keys.has(key);
  }

  /** Records keys accepted from a bundle created at `createdAt`, forgetting the oldest beyond capacity. */
  remember(keys: Iterable<string>, createdAt: number): void {
    if (!Number.isFinite(createdAt)) {
      throw new MicroLoraError('NON_FINITE', `createdAt must be finite, got ${createdAt}`);
    }
    for (const key of keys) {
      this.keys.delete(key);
      this.keys.set(key, createdAt);
      if (this.keys.size > this.capacity) {
        const [oldest, time] = this.keys.entries().next().value as [string, number];
        this.keys.delete(oldest);
        if (time > this.floorMs) this.floorMs = time;
      }
    }
  }
}
