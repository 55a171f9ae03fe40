import { isCompressedLora, isMicroLoraError, materializeDelta } from '@microlora/core';
import type { LoraWeights, MicroLoraErrorCode } from '@microlora/core';
import { createComposeBuffers } from '../buffers.js';
import type { ComposeItem, ComposeOptions, ComposeTarget, CompositionStrategy } from '../contract.js';
import { compositionStrategyProblem } from '../strategy-shape.js';
import {
  FIXTURE_IN,
  FIXTURE_OUT,
  equalRankItems,
  fixtureLora,
  int8Items,
  mixedRankInt8Items,
  mixedRankItems,
  referenceComposite,
  relativeFrobeniusDistance,
} from './fixtures.js';

/** One framework-agnostic check: `run` throws an Error with a precise message on failure. */
export interface StrategyConformanceCase {
  name: string;
  /** Set when the case does not apply or the caller skipped it: the reason. Runners should skip it. */
  skip?: string;
  run(): void | Promise<void>;
}

export interface StrategyConformanceOptions<O extends ComposeOptions = ComposeOptions> {
  /** Options passed to every compose call (e.g. `{ k: 2 }`); they must give a non-zero composite. */
  options?: O;
  /** Case name → why it is skipped. */
  skip?: Readonly<Record<string, string>>;
}

/** Largest relative Frobenius error of ΔW an exact strategy may show against the float64 reference. */
export const EXACT_TOLERANCE = 1e-5;

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

function expectError(fn: () => unknown, code: MicroLoraErrorCode, what: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  check(thrown !== undefined, `${what}: expected MicroLoraError ${code}, but nothing was thrown`);
  check(
    isMicroLoraError(thrown, code),
    `${what}: expected MicroLoraError ${code}, got ${thrown instanceof Error ? `${thrown.name}${isMicroLoraError(thrown) ? ` ${thrown.code}` : ''}: ${thrown.message}` : String(thrown)}`,
  );
}

function orMask(items: readonly ComposeItem[], weights?: ArrayLike<number>): bigint {
  let mask = 0n;
  items.forEach((item, i) => {
    if (weights === undefined || weights[i] !== 0) mask |= item.lora.layerMask;
  });
  return mask;
}

/** Shape, lengths, finiteness and scaling of a composite. */
function checkWellFormed(lora: LoraWeights, what: string, inFeatures = FIXTURE_IN, outFeatures = FIXTURE_OUT): void {
  check(typeof lora === 'object' && lora !== null, `${what}: returned ${String(lora)}, expected LoraWeights`);
  check(lora.inFeatures === inFeatures && lora.outFeatures === outFeatures,
    `${what}: composite is ${lora.inFeatures} → ${lora.outFeatures}, expected ${inFeatures} → ${outFeatures}`);
  check(Number.isInteger(lora.rank) && lora.rank >= 1, `${what}: rank ${lora.rank} is not a positive integer`);
  check(lora.a instanceof Float32Array && lora.b instanceof Float32Array, `${what}: a and b must be Float32Arrays`);
  check(lora.a.length === lora.rank * inFeatures, `${what}: a has length ${lora.a.length}, expected rank × in = ${lora.rank * inFeatures}`);
  check(lora.b.length === lora.rank * outFeatures, `${what}: b has length ${lora.b.length}, expected rank × out = ${lora.rank * outFeatures}`);
  check(Number.isFinite(lora.alpha), `${what}: alpha ${lora.alpha} is not finite`);
  check(Math.abs(lora.scaling - lora.alpha / lora.rank) <= 1e-12 * Math.max(1, Math.abs(lora.scaling)),
    `${what}: scaling ${lora.scaling} ≠ alpha / rank = ${lora.alpha / lora.rank}`);
  check(typeof lora.layerMask === 'bigint', `${what}: layerMask must be a bigint`);
  for (const [name, f] of [['a', lora.a], ['b', lora.b]] as const) {
    const bad = f.findIndex((v) => !Number.isFinite(v));
    check(bad < 0, `${what}: ${name}[${bad}] is ${f[bad]}`);
  }
}

function checkExact(
  strategy: CompositionStrategy,
  items: readonly ComposeItem[],
  composite: LoraWeights,
  options: ComposeOptions | undefined,
  what: string,
): void {
  const weights = strategy.weights?.(items, options);
  check(weights !== undefined, `${what}: an exact strategy must expose weights(items, options)`);
  const reference = referenceComposite(items, weights);
  check(reference.some((v) => v !== 0), `${what}: the weights ${Array.from(weights).join(', ')} give a zero reference; pass options that give a non-zero composite`);
  const error = relativeFrobeniusDistance(materializeDelta(composite), reference);
  check(error <= EXACT_TOLERANCE,
    `${what}: ΔW differs from Σ wᵢ ΔWᵢ (w = ${Array.from(weights, (w) => w.toPrecision(4)).join(', ')}) by relative Frobenius error ${error.toExponential(2)} > ${EXACT_TOLERANCE}`);
  check(composite.layerMask === orMask(items, weights),
    `${what}: layerMask ${composite.layerMask.toString(2)} ≠ OR of the contributing inputs ${orMask(items, weights).toString(2)}`);
}

function snapshot(items: readonly ComposeItem[]): unknown[] {
  return items.map((item) => {
    const { lora } = item;
    const factors = isCompressedLora(lora)
      ? [lora.a.data, lora.a.scales, lora.a.zeroPoints, lora.b.data, lora.b.scales, lora.b.zeroPoints].map((x) => (x === null ? null : Array.from(x)))
      : [Array.from(lora.a), Array.from(lora.b)];
    return { item, lora, score: item.score, rank: lora.rank, alpha: lora.alpha, mask: lora.layerMask, factors };
  });
}

function sameSnapshot(before: unknown[], after: unknown[], what: string): void {
  check(before.length === after.length, `${what}: the items array changed length`);
  before.forEach((b, i) => {
    const x = b as Record<string, unknown>;
    const y = after[i] as Record<string, unknown>;
    for (const key of ['item', 'lora', 'score', 'rank', 'alpha', 'mask']) {
      check(Object.is(x[key], y[key]), `${what}: items[${i}].${key} changed (items must be read-only; was the array sorted in place?)`);
    }
    const fx = x.factors as (number[] | null)[];
    const fy = y.factors as (number[] | null)[];
    fx.forEach((f, j) => {
      const g = fy[j];
      const same = f === null ? g === null : g !== null && g !== undefined && f.length === g.length && f.every((v, k) => Object.is(v, g[k]));
      check(same, `${what}: items[${i}].lora factor data #${j} was modified`);
    });
  });
}

function sameLora(x: LoraWeights, y: LoraWeights, what: string): void {
  check(x.rank === y.rank && x.alpha === y.alpha && x.layerMask === y.layerMask && x.inFeatures === y.inFeatures && x.outFeatures === y.outFeatures,
    `${what}: rank/alpha/layerMask/shape differ (${x.rank}/${x.alpha}/${x.layerMask} vs ${y.rank}/${y.alpha}/${y.layerMask})`);
  check(x.a.length === y.a.length && x.a.every((v, i) => Object.is(v, y.a[i])), `${what}: factor a differs`);
  check(x.b.length === y.b.length && x.b.every((v, i) => Object.is(v, y.b[i])), `${what}: factor b differs`);
}

function target(maxRank = 64): ComposeTarget {
  return createComposeBuffers({ maxRank, inFeatures: FIXTURE_IN, outFeatures: FIXTURE_OUT });
}

/**
 * The conformance kit every composition strategy runs (built-in or third-party):
 *
 * ```ts
 * for (const c of strategyConformanceCases(myStrategy)) it.skipIf(c.skip !== undefined)(c.name, c.run);
 * ```
 *
 * It checks the contract's shape, output dimensions, exactness against the
 * float64 Σ wᵢ ΔWᵢ (relative Frobenius error ≤ 1e-5, via `materializeDelta`) with
 * wᵢ from `strategy.weights` for strategies that claim `exact`, f32, int8 and
 * mixed-rank inputs, determinism, that inputs are never mutated, the empty
 * input, the error codes, and `composeInto` (views of the target, reuse, capacity).
 */
export function strategyConformanceCases<O extends ComposeOptions>(
  strategy: CompositionStrategy<O>,
  kitOptions: StrategyConformanceOptions<O> = {},
): StrategyConformanceCase[] {
  const s = strategy as CompositionStrategy;
  const opts = kitOptions.options as ComposeOptions | undefined;
  const approximate = strategy.exact ? undefined : `"${String(strategy.name)}" is approximate (exact: false)`;
  const noInto = typeof strategy.composeInto === 'function' ? undefined : `"${String(strategy.name)}" has no composeInto`;
  const into = (items: readonly ComposeItem[], t: ComposeTarget): LoraWeights => {
    const fn = s.composeInto;
    if (fn === undefined) throw new Error('composeInto is missing');
    return fn.call(s, items, t, opts);
  };

  const cases: StrategyConformanceCase[] = [
    {
      name: 'contract: name, exact flag and methods',
      run() {
        const problem = compositionStrategyProblem(s);
        check(problem === undefined, `the strategy ${problem ?? ''}`);
      },
    },
    {
      name: 'output: dimensions, finite factors, scaling = alpha / rank',
      run() {
        for (const [label, items] of [['equal ranks', equalRankItems()], ['int8', int8Items()]] as const) {
          checkWellFormed(s.compose(items, opts), `compose (${label})`);
        }
        const one = [{ lora: fixtureLora(41, 2, { inFeatures: 7, outFeatures: 5 }), score: 1 }];
        checkWellFormed(s.compose(one, opts), 'compose (7 → 5)', 7, 5);
      },
    },
    {
      name: 'layerMask: OR of the contributing inputs',
      run() {
        const items = equalRankItems();
        const mask = s.compose(items, opts).layerMask;
        if (s.weights) {
          const expected = orMask(items, s.weights(items, opts));
          check(mask === expected, `layerMask ${mask.toString(2)} ≠ OR of the inputs with non-zero weight ${expected.toString(2)}`);
        } else {
          check((mask & ~orMask(items)) === 0n, `layerMask ${mask.toString(2)} sets layers no input has`);
        }
      },
    },
    {
      name: 'exact: Σ wᵢ ΔWᵢ for f32 inputs of equal rank',
      skip: approximate,
      run() {
        const items = equalRankItems();
        checkExact(s, items, s.compose(items, opts), opts, 'equal ranks');
      },
    },
    {
      name: 'mixed ranks: composed exactly (an approximate strategy may refuse with a coded error)',
      run() {
        for (const make of [mixedRankItems, mixedRankInt8Items]) {
          const items = make();
          let composite: LoraWeights;
          try {
            composite = s.compose(items, opts);
          } catch (err) {
            check(!s.exact && isMicroLoraError(err), `${make.name} (ranks ${items.map((it) => it.lora.rank).join(', ')}): threw ${String(err)}; exact strategies must stack any ranks`);
            continue;
          }
          checkWellFormed(composite, make.name);
          if (s.exact) checkExact(s, items, composite, opts, make.name);
        }
      },
    },
    {
      name: 'exact: Σ wᵢ ΔWᵢ for int8 inputs (mixed with f32)',
      skip: approximate,
      run() {
        const items = int8Items();
        checkExact(s, items, s.compose(items, opts), opts, 'int8');
      },
    },
    {
      name: 'exact: a single item',
      skip: approximate,
      run() {
        const items = [{ lora: fixtureLora(51, 3, { alpha: 5 }), score: 0.5 }];
        checkExact(s, items, s.compose(items, opts), opts, 'single item');
      },
    },
    {
      name: 'weights: one finite weight per item, deterministic',
      skip: typeof s.weights === 'function' ? undefined : `"${String(strategy.name)}" exposes no weights`,
      run() {
        const items = mixedRankItems();
        const w = s.weights?.(items, opts);
        check(w instanceof Float64Array, `weights must return a Float64Array, got ${Object.prototype.toString.call(w)}`);
        check(w.length === items.length, `weights returned ${w.length} values for ${items.length} items`);
        check(w.every(Number.isFinite), `weights contain a non-finite value: ${Array.from(w).join(', ')}`);
        const again = s.weights?.(items, opts);
        check(again !== undefined && again.every((v, i) => Object.is(v, w[i])), 'weights differ between two identical calls');
        check(s.weights?.([], opts).length === 0, 'weights of no items must be empty');
      },
    },
    {
      name: 'determinism: identical output for identical input',
      run() {
        for (const make of [equalRankItems, int8Items]) {
          sameLora(s.compose(make(), opts), s.compose(make(), opts), 'compose twice');
        }
      },
    },
    {
      name: 'inputs are never mutated',
      run() {
        for (const make of [equalRankItems, mixedRankItems, int8Items, mixedRankInt8Items]) {
          const items = make();
          const before = snapshot(items);
          const call = (fn: () => unknown): void => {
            try {
              fn();
            } catch (err) {
              // approximate strategies may refuse mixed ranks; mutation is what is checked here
              if (s.exact || !isMicroLoraError(err)) throw err;
            }
          };
          call(() => s.compose(items, opts));
          call(() => s.weights?.(items, opts));
          if (s.composeInto) call(() => into(items, target()));
          sameSnapshot(before, snapshot(items), make.name);
        }
      },
    },
    {
      name: 'empty input: the zero adapter of the requested shape',
      run() {
        const zero = s.compose([], { ...opts, inFeatures: FIXTURE_IN, outFeatures: FIXTURE_OUT } as O & ComposeOptions);
        checkWellFormed(zero, 'compose([])');
        check(materializeDelta(zero).every((v) => v === 0), 'compose([]) must have ΔW = 0');
        check(zero.layerMask === 0n, `compose([]) layerMask must be 0 (OR of no inputs), got ${zero.layerMask}`);
        if (opts?.inFeatures === undefined || opts.outFeatures === undefined) {
          expectError(() => s.compose([], opts), 'INVALID_ARGUMENT', 'compose([]) without inFeatures/outFeatures');
        }
      },
    },
    {
      name: 'errors: mixed dimensions → DIMENSION_MISMATCH',
      run() {
        const items = [...equalRankItems(), { lora: fixtureLora(61, 2, { inFeatures: FIXTURE_IN + 1 }), score: 0.5 }];
        expectError(() => s.compose(items, opts), 'DIMENSION_MISMATCH', 'compose of 24→16 and 25→16 adapters');
        const wrongOut = [{ lora: fixtureLora(62, 2, { outFeatures: FIXTURE_OUT + 3 }), score: 0.5 }, ...equalRankItems()];
        expectError(() => s.compose(wrongOut, opts), 'DIMENSION_MISMATCH', 'compose of 24→19 and 24→16 adapters');
        if (s.composeInto) {
          const other = [{ lora: fixtureLora(63, 2, { inFeatures: 9 }), score: 1 }];
          expectError(() => into(other, target()), 'DIMENSION_MISMATCH', 'composeInto a 24→16 target of a 9→16 adapter');
        }
      },
    },
    {
      name: 'errors: non-finite score → NON_FINITE',
      run() {
        for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
          const items = equalRankItems().map((item, i) => (i === 1 ? { ...item, score: bad } : item));
          expectError(() => s.compose(items, opts), 'NON_FINITE', `compose with score ${bad}`);
          if (s.composeInto) expectError(() => into(items, target()), 'NON_FINITE', `composeInto with score ${bad}`);
        }
      },
    },
    {
      name: 'composeInto: same result as compose, as views of the target',
      skip: noInto,
      run() {
        for (const make of [equalRankItems, mixedRankItems, int8Items, mixedRankInt8Items]) {
          const items = make();
          let expected: LoraWeights;
          try {
            expected = s.compose(items, opts);
          } catch (err) {
            if (!s.exact && isMicroLoraError(err)) continue; // refused (e.g. mixed ranks): covered above
            throw err;
          }
          const t = target();
          const got = into(items, t);
          sameLora(got, expected, `composeInto vs compose (${make.name})`);
          check(got.a.buffer === t.a.buffer && got.b.buffer === t.b.buffer,
            `composeInto (${make.name}): the result's a/b must be views of the target's buffers, not new allocations`);
        }
      },
    },
    {
      name: 'composeInto: reusing a target leaves no residue',
      skip: noInto,
      run() {
        const t = target();
        into(int8Items(), t);
        if (s.exact) into(mixedRankInt8Items(), t);
        const items = equalRankItems();
        sameLora(into(items, t), s.compose(items, opts), 'composeInto a used target');
        const empty = into([], t);
        checkWellFormed(empty, 'composeInto([]) into a used target');
        check(materializeDelta(empty).every((v) => v === 0), 'composeInto([]) into a used target must have ΔW = 0');
      },
    },
    {
      name: 'composeInto: a too-small target → CAPACITY_EXCEEDED (never an out-of-bounds write)',
      skip: noInto,
      run() {
        const items = equalRankItems();
        const small = target(1);
        let result: LoraWeights | undefined;
        try {
          result = into(items, small);
        } catch (err) {
          check(isMicroLoraError(err, 'CAPACITY_EXCEEDED'), `expected CAPACITY_EXCEEDED for a rank-1 target, got ${String(err)}`);
          return;
        }
        // A strategy that re-compresses may fit; then the result must still be right.
        checkWellFormed(result, 'composeInto a rank-1 target');
        check(result.rank <= 1, `composeInto returned rank ${result.rank} from a target of maxRank 1`);
        if (s.exact) checkExact(s, items, result, opts, 'composeInto a rank-1 target');
      },
    },
  ];
  const skip = kitOptions.skip ?? {};
  return cases.map((c) => (skip[c.name] === undefined ? c : { ...c, skip: skip[c.name] }));
}
