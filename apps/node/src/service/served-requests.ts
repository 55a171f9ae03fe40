import { randomBytes } from 'node:crypto';

/**
 * The pattern ids each recent POST /adapter answer was composed from, so that
 * feedback can name the request instead of the patterns. Bounded: the oldest are
 * forgotten first; each request takes feedback once.
 */
export class ServedRequests {
  private readonly entries = new Map<string, readonly string[]>();
  private readonly prefix = randomBytes(4).toString('hex');
  private next = 0;

  constructor(readonly capacity: number) {}

  /** A new request id for these pattern ids. */
  remember(patternIds: readonly string[]): string {
    const id = `${this.prefix}-${(this.next++).toString(36)}`;
    this.entries.set(id, patternIds);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    return id;
  }

  /** The pattern ids of a request, forgetting it; undefined when unknown, expired or already rated. */
  take(requestId: string): readonly string[] | undefined {
    const ids = this.entries.get(requestId);
    this.entries.delete(requestId);
    return ids;
  }

  get size(): number {
    return this.entries.size;
  }
}
