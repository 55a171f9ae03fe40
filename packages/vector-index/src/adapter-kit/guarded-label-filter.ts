import type { LabelMap } from './label-map.js';

/**
 * The caller's id filter as a label predicate that is safe to hand to native or wasm
 * search code: an exception unwinding through such code can skip its cleanup or abort the
 * process, so the first one is caught and held, every later label is rejected, and
 * rethrowIfFailed() throws it once the library has returned. Labels without a live id
 * are rejected without calling the filter.
 */
export class GuardedLabelFilter {
  private failure: { error: unknown } | undefined;

  constructor(
    private readonly labels: Pick<LabelMap, 'idOf'>,
    private readonly filter: (id: string) => boolean,
  ) {}

  /** The predicate to pass to the library (a bound arrow: pass it as is). */
  readonly accepts = (label: number): boolean => {
    if (this.failure !== undefined) return false;
    const id = this.labels.idOf(label);
    if (id === undefined) return false;
    try {
      return this.filter(id) === true;
    } catch (error) {
      this.failure = { error };
      return false;
    }
  };

  /** Throws what the filter threw during the search, if it threw. */
  rethrowIfFailed(): void {
    if (this.failure !== undefined) throw this.failure.error;
  }
}

/** A GuardedLabelFilter for `filter`, or undefined when there is no filter. */
export function guardLabelFilter(
  labels: Pick<LabelMap, 'idOf'>,
  filter: ((id: string) => boolean) | undefined,
): GuardedLabelFilter | undefined {
  return filter === undefined ? undefined : new GuardedLabelFilter(labels, filter);
}
