/**
 * Bounded max-heap keeping the k best (smallest distance, then smallest id) slots
 * of a scan. Reused across searches: pushing allocates nothing.
 */
export class TopKHeap {
  private dist = new Float64Array(16);
  private slot = new Int32Array(16);
  private labels: readonly string[] = [];
  private k = 0;
  size = 0;

  /** Empties the heap for a search keeping `k` results; `labels[slot]` breaks distance ties. */
  reset(k: number, labels: readonly string[]): void {
    if (this.dist.length < k) {
      this.dist = new Float64Array(k);
      this.slot = new Int32Array(k);
    }
    this.k = k;
    this.size = 0;
    this.labels = labels;
  }

  /** Whether (distance, slot) would enter the heap — test before paying for a filter call. */
  accepts(distance: number, slot: number): boolean {
    if (this.size < this.k) return true;
    const top = this.dist[0] as number;
    if (distance !== top) return distance < top;
    return (this.labels[slot] as string) < (this.labels[this.slot[0] as number] as string);
  }

  /** Inserts (distance, slot); call only when accepts() said yes. */
  push(distance: number, slot: number): void {
    const dist = this.dist;
    const slots = this.slot;
    if (this.size < this.k) {
      // Sift up from the new leaf.
      let i = this.size++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!this.worse(distance, slot, dist[parent] as number, slots[parent] as number)) break;
        dist[i] = dist[parent] as number;
        slots[i] = slots[parent] as number;
        i = parent;
      }
      dist[i] = distance;
      slots[i] = slot;
      return;
    }
    // Full: the new entry replaces the root (the worst kept).
    this.siftDownFromRoot(distance, slot);
  }

  /** Empties the heap, writing the kept entries best-first into the outputs; returns the count. */
  drainSorted(outDistance: Float64Array, outSlot: Int32Array): number {
    const n = this.size;
    // Pop the worst repeatedly, filling from the back.
    for (let end = n - 1; end >= 0; end--) {
      outDistance[end] = this.dist[0] as number;
      outSlot[end] = this.slot[0] as number;
      const lastDist = this.dist[end] as number;
      const lastSlot = this.slot[end] as number;
      this.size = end;
      if (end > 0) this.siftDownFromRoot(lastDist, lastSlot);
    }
    return n;
  }

  private siftDownFromRoot(distance: number, slot: number): void {
    const dist = this.dist;
    const slots = this.slot;
    const n = this.size;
    let i = 0;
    while (true) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      let child = left;
      if (right < n && this.worse(dist[right] as number, slots[right] as number, dist[left] as number, slots[left] as number)) {
        child = right;
      }
      if (!this.worse(dist[child] as number, slots[child] as number, distance, slot)) break;
      dist[i] = dist[child] as number;
      slots[i] = slots[child] as number;
      i = child;
    }
    dist[i] = distance;
    slots[i] = slot;
  }

  /** a ranks after b: larger distance, or equal distance and larger id. */
  private worse(da: number, sa: number, db: number, sb: number): boolean {
    if (da !== db) return da > db;
    return (this.labels[sa] as string) > (this.labels[sb] as string);
  }
}
