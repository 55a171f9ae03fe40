import type { ByteStore } from './idb-bytes.js';

export interface SaveState {
  /** A save is running or queued. */
  busy: boolean;
  /** Completed saves since the page loaded. */
  saved: number;
  /** Bytes written by the last save. */
  lastBytes: number;
  /** Message of the last failed save, cleared by the next success. */
  error?: string;
}

/** The records to write, taken when a save starts (so it holds the latest state). */
export type StateSnapshot = () => Promise<ReadonlyArray<readonly [string, Uint8Array]>>;

/**
 * Writes snapshots to IndexedDB one save at a time, all records of one snapshot in one
 * transaction: requests made while a save waits to start share it, so the stored state
 * is never older than the last request and writes never interleave.
 */
export class StateSaver {
  /** A save not started yet: calls made meanwhile share it. */
  private queued: Promise<void> | undefined;
  private tail: Promise<void> = Promise.resolve();
  private inFlight = 0;
  private state: SaveState = { busy: false, saved: 0, lastBytes: 0 };

  constructor(
    private readonly snapshot: StateSnapshot,
    private readonly store: ByteStore,
    private readonly onChange: (state: SaveState) => void = () => {},
  ) {}

  get current(): SaveState {
    return { ...this.state };
  }

  /** Resolves once the state at the time of the call is stored (or the save failed: see state.error). */
  save(): Promise<void> {
    if (this.queued !== undefined) return this.queued;
    this.inFlight++;
    this.update({ busy: true });
    const run = this.tail.then(async () => {
      this.queued = undefined;
      try {
        const records = await this.snapshot();
        await this.store.putMany(records);
        const { error: _cleared, ...rest } = this.state;
        this.state = { ...rest, saved: rest.saved + 1, lastBytes: records.reduce((n, [, bytes]) => n + bytes.length, 0) };
      } catch (error) {
        this.state = { ...this.state, error: error instanceof Error ? error.message : String(error) };
      } finally {
        this.inFlight--;
        this.update({ busy: this.inFlight > 0 });
      }
    });
    this.queued = run;
    this.tail = run;
    return run;
  }

  private update(change: Partial<SaveState>): void {
    this.state = { ...this.state, ...change };
    this.onChange(this.current);
  }
}
