import { randomBytes } from 'node:crypto';

/**
 * What feedback on each recent answer needs (the pattern ids a POST /adapter
 * answer was composed from, a POST /generate result), so that feedback can name
 * the request. Bounded: the oldest are forgotten first; each request takes feedback once.
 */
export class ServedRequests<T = readonly string[]> {
  private readonly entries = new Map<string, T>();
  private readonly prefix = randomBytes(4).toString('hex');
  private next = 0;

  constructor(readonly capacity: number) {}

  /** A new request id for this answer. */
  remember(answer: T): string {
    const id = `${this.prefix}-${(this.next++).toString(36)}`;
    this.entries.set(id, answer);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    return id;
  }

  /** What was remembered for a request, forgetting it; undefined when unknown, expired or already rated. */
  take(requestId: string): T | undefined {
    const answer = this.entries.get(requestId);
    this.entries.delete(requestId);
    return answer;
  }

  get size(): number {
    return this.entries.size;
  }
}
