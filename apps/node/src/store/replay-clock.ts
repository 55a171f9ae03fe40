import { systemClock, type Clock } from 'microlora';

/**
 * The store's clock: the base clock (system time), except while a mutation is applied, when it
 * reads the time recorded in that mutation's journal record. Replaying the journal
 * then reproduces createdAt / lastUsed exactly.
 */
export class ReplayClock implements Clock {
  private pinned: number | undefined;

  constructor(private readonly base: Clock = systemClock) {}

  now(): number {
    return this.pinned ?? this.base.now();
  }

  /** Runs `fn` with the clock reading `at`. */
  pinnedAt<T>(at: number, fn: () => T): T {
    const previous = this.pinned;
    this.pinned = at;
    try {
      return fn();
    } finally {
      this.pinned = previous;
    }
  }
}
