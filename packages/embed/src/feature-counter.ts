/**
 * Counts occurrences of 32-bit feature hashes exactly: an open-addressing table
 * with linear probing, cleared in O(1) by bumping a generation stamp. Grows (and
 * allocates) only when a text has more distinct features than ever before.
 */
export class FeatureCounter {
  private keys: Int32Array;
  private counts: Int32Array;
  private stamps: Uint32Array;
  private mask: number;
  private generation = 1;
  /** Slots in first-insertion order, so iteration order is deterministic. */
  private order: Int32Array;
  private used = 0;

  constructor(initialCapacity = 1024) {
    let capacity = 16;
    while (capacity < initialCapacity) capacity <<= 1;
    this.keys = new Int32Array(capacity);
    this.counts = new Int32Array(capacity);
    this.stamps = new Uint32Array(capacity);
    this.order = new Int32Array(capacity >>> 1);
    this.mask = capacity - 1;
  }

  /** Distinct features counted since the last clear(). */
  get distinct(): number {
    return this.used;
  }

  clear(): void {
    this.used = 0;
    this.generation = (this.generation + 1) >>> 0;
    if (this.generation === 0) {
      this.stamps.fill(0);
      this.generation = 1;
    }
  }

  /** Adds one occurrence of `hash` (any 32-bit value; already well mixed). */
  add(hash: number): void {
    const key = hash | 0;
    const stamps = this.stamps;
    const keys = this.keys;
    const generation = this.generation;
    let slot = key & this.mask;
    while (stamps[slot] === generation) {
      if (keys[slot] === key) {
        this.counts[slot] = (this.counts[slot] as number) + 1;
        return;
      }
      slot = (slot + 1) & this.mask;
    }
    stamps[slot] = generation;
    keys[slot] = key;
    this.counts[slot] = 1;
    this.order[this.used++] = slot;
    // Keep the load factor ≤ 1/2 so probes stay short.
    if (this.used === this.order.length) this.grow();
  }

  /** The i-th distinct feature (in first-seen order) as a signed int32 hash. */
  keyAt(i: number): number {
    return this.keys[this.order[i] as number] as number;
  }

  /** How many times the i-th distinct feature occurred. */
  countAt(i: number): number {
    return this.counts[this.order[i] as number] as number;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldCounts = this.counts;
    const oldOrder = this.order;
    const used = this.used;
    const capacity = oldKeys.length << 1;
    this.keys = new Int32Array(capacity);
    this.counts = new Int32Array(capacity);
    this.stamps = new Uint32Array(capacity);
    this.order = new Int32Array(capacity >>> 1);
    this.mask = capacity - 1;
    this.generation = 1;
    for (let i = 0; i < used; i++) {
      const oldSlot = oldOrder[i] as number;
      const key = oldKeys[oldSlot] as number;
      let slot = key & this.mask;
      while (this.stamps[slot] === 1) slot = (slot + 1) & this.mask;
      this.stamps[slot] = 1;
      this.keys[slot] = key;
      this.counts[slot] = oldCounts[oldSlot] as number;
      this.order[i] = slot;
    }
  }
}
