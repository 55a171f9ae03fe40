/**
 * Rows of a batch grouped by adapter (a counting sort, O(rows + adapters)):
 * `order[start[k] .. start[k+1])` are the rows of adapter k in ascending order;
 * rows with a negative index are left out. The arrays are reused between calls
 * and only grow, so grouping allocates nothing once warm.
 */
export class RowGroups {
  /** start[k] = first position of adapter k in `order`; start[adapters] = used. */
  start = new Int32Array(1);
  /** Row numbers, grouped by adapter. Valid up to `used`. */
  order = new Int32Array(0);
  /** Rows that have an adapter. */
  used = 0;
  /** True when order[j] = j for every row: x and y are already grouped, no gather needed. */
  identity = false;
  private cursor = new Int32Array(0);

  /** Groups `rows` rows of `adapterIndex` (every index already checked < adapterCount). */
  group(adapterIndex: Int32Array, rows: number, adapterCount: number): this {
    if (this.start.length < adapterCount + 1) this.start = new Int32Array(adapterCount + 1);
    if (this.cursor.length < adapterCount) this.cursor = new Int32Array(adapterCount);
    if (this.order.length < rows) this.order = new Int32Array(rows);
    const { start, cursor, order } = this;
    start.fill(0, 0, adapterCount + 1);
    for (let r = 0; r < rows; r++) {
      const k = adapterIndex[r] as number;
      if (k >= 0) start[k + 1] = (start[k + 1] as number) + 1;
    }
    for (let k = 0; k < adapterCount; k++) {
      start[k + 1] = (start[k + 1] as number) + (start[k] as number);
      cursor[k] = start[k] as number;
    }
    let identity = true;
    for (let r = 0; r < rows; r++) {
      const k = adapterIndex[r] as number;
      if (k < 0) {
        identity = false;
        continue;
      }
      const at = cursor[k] as number;
      cursor[k] = at + 1;
      order[at] = r;
      if (at !== r) identity = false;
    }
    this.used = start[adapterCount] as number;
    this.identity = identity;
    return this;
  }

  /** Number of rows of adapter k. */
  count(k: number): number {
    return (this.start[k + 1] as number) - (this.start[k] as number);
  }
}
