import { MicroLoraError, isMicroLoraError } from 'microlora';
import type { TextGenerator } from '../generation/text-generator.js';

/**
 * The service's one text generator, created on first use (loading tfjs-wasm and
 * the model takes ~1 s) and shared by every request; a failed load is retried
 * by the next request instead of being remembered.
 */
export class LazyGenerator {
  private pending: Promise<TextGenerator> | undefined;
  private ready: TextGenerator | undefined;

  constructor(
    private readonly create: () => Promise<TextGenerator>,
    private readonly log: (message: string) => void,
  ) {}

  /** The model has loaded (GET /stats). */
  get loaded(): boolean {
    return this.ready !== undefined;
  }

  /** The generator, loading it on the first call; concurrent first calls share one load. */
  get(): Promise<TextGenerator> {
    this.pending ??= Promise.resolve()
      .then(() => this.create())
      .then(
        (generator) => {
          this.ready = generator;
          return generator;
        },
        (cause: unknown) => {
          this.pending = undefined;
          if (isMicroLoraError(cause)) throw cause;
          this.log(`loading the text model failed: ${cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)}`);
          throw new MicroLoraError('BACKEND_UNAVAILABLE', 'the text model failed to load (the cause is in the service log); the next request tries again', { cause });
        },
      );
    return this.pending;
  }
}
