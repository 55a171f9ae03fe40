import type { MicroLora } from 'microlora';
import type { ByteStore } from './idb-bytes.js';

export interface SaveState {
  /** A save is running or queued. */
  busy: boolean;
  /** Completed saves since the page loaded. */
  saved: number;
  /** Size of the last saved file. */
  lastBytes: number;
  /** Message of the last failed save, cleared by the next success. */
  error?: string;
}

/**
 * Writes MicroLora.save() to IndexedDB one save at a time: requests made while a
 * save waits to start share it, so the stored file is never older than the last
 * request and writes never interleave.
 */
export class UmbrellaSaver {
  /** A save not started yet: calls made meanwhile share it. */
  private queued: Promise<void> | undefined;
  private tail: Promise<void> = Promise.resolve();
  private inFlight = 0;
  private state: SaveState = { busy: false, saved: 0, lastBytes: 0 };

  constructor(
    private readonly micro: MicroLora,
    private readonly store: ByteStore,
    private readonly key: string,
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
        const bytes = await this.micro.save();
        await this.store.put(this.key, bytes);
        const { error: _cleared, ...rest } = this.state;
        this.state = { ...rest, saved: rest.saved + 1, lastBytes: bytes.length };
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
