import { MicroLoraError } from './errors.js';

export type Factory<T> = () => T | Promise<T>;

export interface RegisterOptions {
  /** Higher wins when picking the best entry. Default 0. */
  priority?: number;
}

interface Entry<T> {
  name: string;
  factory: Factory<T>;
  priority: number;
  order: number;
  instance?: T;
  failure?: unknown;
  pending?: Promise<T>;
}

/** Why one entry could not be used. */
export interface RegistryFailure {
  name: string;
  reason: string;
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * Name → factory with priorities, lazy initialisation, fallback, and one
 * aggregated error when nothing initialises. SIMD backends, composition
 * strategies and index adapters all register here.
 *
 * Registering the same factory twice under one name is a no-op (a module
 * imported twice); another factory under a taken name is NAME_COLLISION.
 */
export class Registry<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private counter = 0;
  private preferred: string | undefined;

  /** `kind` names what is registered, for messages ("SIMD backend"). */
  constructor(readonly kind: string) {}

  register(name: string, factory: Factory<T>, options: RegisterOptions = {}): void {
    if (typeof name !== 'string' || name.length === 0) {
      throw new MicroLoraError('INVALID_ARGUMENT', `${this.kind} name must be a non-empty string`, {
        details: { name },
      });
    }
    if (typeof factory !== 'function') {
      throw new MicroLoraError('INVALID_ARGUMENT', `${this.kind} "${name}" needs a factory function`, {
        details: { name },
      });
    }
    const existing = this.entries.get(name);
    if (existing) {
      if (existing.factory === factory) return;
      throw new MicroLoraError(
        'NAME_COLLISION',
        `a different ${this.kind} is already registered as "${name}"; unregister it first or pick another name`,
        { details: { name } },
      );
    }
    const priority = options.priority ?? 0;
    if (!Number.isFinite(priority)) {
      throw new MicroLoraError('NON_FINITE', `${this.kind} "${name}" priority must be finite`, {
        details: { name, priority },
      });
    }
    this.entries.set(name, { name, factory, priority, order: this.counter++ });
  }

  unregister(name: string): boolean {
    if (this.preferred === name) this.preferred = undefined;
    return this.entries.delete(name);
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** Registered names, best first. */
  names(): string[] {
    return this.sorted().map((e) => e.name);
  }

  /** Make `name` the first choice of `best()` (it must be registered); undefined clears. */
  prefer(name: string | undefined): void {
    if (name !== undefined) this.entry(name);
    this.preferred = name;
  }

  /** The named entry, initialised synchronously. BACKEND_UNAVAILABLE if it fails or needs async init. */
  get(name: string): T {
    const entry = this.entry(name);
    const result = this.initSync(entry);
    if (result.ok) return result.value;
    throw new MicroLoraError('BACKEND_UNAVAILABLE', `${this.kind} "${name}" is unavailable: ${result.reason}`, {
      cause: entry.failure,
      details: { name },
    });
  }

  /** The named entry, initialised (awaiting an async factory). */
  async getAsync(name: string): Promise<T> {
    const entry = this.entry(name);
    const result = await this.initAsync(entry);
    if (result.ok) return result.value;
    throw new MicroLoraError('BACKEND_UNAVAILABLE', `${this.kind} "${name}" is unavailable: ${result.reason}`, {
      cause: entry.failure,
      details: { name },
    });
  }

  /** The highest-priority entry that initialises synchronously. */
  best(): T {
    const failures: RegistryFailure[] = [];
    for (const entry of this.sorted()) {
      const result = this.initSync(entry);
      if (result.ok) return result.value;
      failures.push({ name: entry.name, reason: result.reason });
    }
    throw this.noneAvailable(failures);
  }

  /** The highest-priority entry that initialises, awaiting async factories. */
  async bestAsync(): Promise<T> {
    const failures: RegistryFailure[] = [];
    for (const entry of this.sorted()) {
      const result = await this.initAsync(entry);
      if (result.ok) return result.value;
      failures.push({ name: entry.name, reason: result.reason });
    }
    throw this.noneAvailable(failures);
  }

  /** Names and reasons of entries that failed to initialise so far. */
  failures(): RegistryFailure[] {
    return this.sorted()
      .filter((e) => e.failure !== undefined)
      .map((e) => ({ name: e.name, reason: describe(e.failure) }));
  }

  private entry(name: string): Entry<T> {
    const entry = this.entries.get(name);
    if (!entry) {
      const known = this.names();
      throw new MicroLoraError(
        'NOT_FOUND',
        `no ${this.kind} named "${name}"; registered: ${known.length ? known.join(', ') : 'none'}`,
        { details: { name, registered: known } },
      );
    }
    return entry;
  }

  private sorted(): Entry<T>[] {
    const preferred = this.preferred;
    return [...this.entries.values()].sort((x, y) => {
      if (x.name === preferred) return -1;
      if (y.name === preferred) return 1;
      return y.priority - x.priority || x.order - y.order;
    });
  }

  private initSync(entry: Entry<T>): { ok: true; value: T } | { ok: false; reason: string } {
    if (entry.instance !== undefined) return { ok: true, value: entry.instance };
    if (entry.failure !== undefined) return { ok: false, reason: describe(entry.failure) };
    if (entry.pending) return { ok: false, reason: 'initialises asynchronously; await getAsync()/bestAsync() first' };
    let produced: T | Promise<T>;
    try {
      produced = entry.factory();
    } catch (err) {
      entry.failure = err;
      return { ok: false, reason: describe(err) };
    }
    if (isPromiseLike(produced)) {
      entry.pending = this.settle(entry, produced);
      return { ok: false, reason: 'initialises asynchronously; await getAsync()/bestAsync() first' };
    }
    entry.instance = produced;
    return { ok: true, value: produced };
  }

  private async initAsync(entry: Entry<T>): Promise<{ ok: true; value: T } | { ok: false; reason: string }> {
    const sync = this.initSync(entry);
    if (sync.ok || !entry.pending) return sync;
    try {
      return { ok: true, value: await entry.pending };
    } catch (err) {
      return { ok: false, reason: describe(err) };
    }
  }

  private settle(entry: Entry<T>, promise: Promise<T>): Promise<T> {
    const settled = promise.then(
      (value) => {
        entry.instance = value;
        entry.pending = undefined;
        return value;
      },
      (err: unknown) => {
        entry.failure = err ?? new Error('factory rejected');
        entry.pending = undefined;
        throw err;
      },
    );
    settled.catch(() => undefined); // rejection is recorded in entry.failure
    return settled;
  }

  private noneAvailable(failures: RegistryFailure[]): MicroLoraError {
    const list = failures.map((f) => `  - ${f.name}: ${f.reason}`).join('\n');
    return new MicroLoraError(
      'BACKEND_UNAVAILABLE',
      failures.length === 0
        ? `no ${this.kind} is registered; import a package that registers one`
        : `no ${this.kind} could be initialised:\n${list}`,
      { details: { failures } },
    );
  }
}

function isPromiseLike<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
