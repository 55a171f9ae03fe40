import { describe, expect, it } from 'vitest';
import { MicroLoraError } from '@microlora/core';
import type { LoraWeights } from '@microlora/core';
import { factorAverage, validateComposeItems, weightedAverage } from '@microlora/composer';
import type { ApproximateCompositionStrategy, CompositionStrategy, ExactCompositionStrategy } from '@microlora/composer';
import { strategyConformanceCases } from '@microlora/composer/testkit';

// The kit must catch broken strategies, or passing it proves nothing.
async function failures(strategy: CompositionStrategy): Promise<Map<string, string>> {
  const failed = new Map<string, string>();
  for (const c of strategyConformanceCases(strategy)) {
    if (c.skip !== undefined) continue;
    try {
      await c.run();
    } catch (err) {
      failed.set(c.name, (err as Error).message);
    }
  }
  return failed;
}

function failedNames(f: Map<string, string>): string[] {
  return [...f.keys()];
}

describe('the conformance kit catches broken strategies', () => {
  it('factor-average passes as approximate but fails when it claims to be exact', async () => {
    expect(await failures(factorAverage)).toEqual(new Map());
    const liar = { ...factorAverage, name: 'liar', exact: true } as unknown as ExactCompositionStrategy;
    const f = await failures(liar);
    expect(f.get('exact: Σ wᵢ ΔWᵢ for f32 inputs of equal rank')).toMatch(/relative Frobenius error/);
    expect(f.get('mixed ranks: composed exactly (an approximate strategy may refuse with a coded error)')).toMatch(/exact strategies must stack/);
  });

  it('catches wrong weights(): the composite must match the weights the strategy reports', async () => {
    const skewed: ExactCompositionStrategy = {
      ...weightedAverage,
      name: 'skewed',
      weights: (items, options) => weightedAverage.weights(items, options).map((w, i) => (i === 0 ? w * 2 : w)),
    };
    expect(failedNames(await failures(skewed))).toContain('exact: Σ wᵢ ΔWᵢ for f32 inputs of equal rank');
  });

  it('catches a strategy that mutates its inputs or sorts them in place', async () => {
    const mutating: ExactCompositionStrategy = {
      ...weightedAverage,
      name: 'mutating',
      compose(items, options) {
        const lora = items[0]?.lora as LoraWeights | undefined;
        if (lora && 'scaling' in lora) lora.a[0] = (lora.a[0] as number) + 1e-3;
        return weightedAverage.compose(items, options);
      },
    };
    expect(await failures(mutating)).toHaveProperty('size');
    expect((await failures(mutating)).get('inputs are never mutated')).toMatch(/modified/);
    const sorting: ExactCompositionStrategy = {
      ...weightedAverage,
      name: 'sorting',
      compose(items, options) {
        (items as unknown as { score: number }[]).sort((x, y) => y.score - x.score);
        return weightedAverage.compose(items, options);
      },
    };
    expect((await failures(sorting)).get('inputs are never mutated')).toMatch(/sorted in place/);
  });

  it('catches missing validation, non-deterministic output and a composeInto that allocates', async () => {
    const sloppy: ApproximateCompositionStrategy = {
      name: 'sloppy',
      exact: false,
      compose(items) {
        const lora = items[0]?.lora as LoraWeights;
        const noise = Math.random();
        return { ...lora, a: lora.a.map((v) => v + noise) };
      },
      composeInto(items, _target) {
        return this.compose(items);
      },
    };
    const f = failedNames(await failures(sloppy));
    expect(f).toEqual(expect.arrayContaining([
      'determinism: identical output for identical input',
      'empty input: the zero adapter of the requested shape',
      'errors: mixed dimensions → DIMENSION_MISMATCH',
      'errors: non-finite score → NON_FINITE',
      'composeInto: same result as compose, as views of the target',
    ]));
  });

  it('catches a wrong layerMask and a composite of the wrong shape', async () => {
    const wideMask: ExactCompositionStrategy = {
      ...weightedAverage,
      name: 'wide-mask',
      compose: (items, options) => ({ ...weightedAverage.compose(items, options), layerMask: 0xffn | (1n << 60n) }),
    };
    expect(failedNames(await failures(wideMask))).toContain('layerMask: OR of the contributing inputs');
    const transposed: ApproximateCompositionStrategy = {
      name: 'transposed',
      exact: false,
      compose(items, options) {
        const shape = validateComposeItems(items, options);
        if (!shape) throw new MicroLoraError('INVALID_ARGUMENT', 'no shape');
        const c = weightedAverage.compose(items, options);
        return { ...c, inFeatures: c.outFeatures, outFeatures: c.inFeatures, a: c.b, b: c.a };
      },
    };
    expect(failedNames(await failures(transposed))).toContain('output: dimensions, finite factors, scaling = alpha / rank');
  });

  it('catches an exact strategy without weights()', async () => {
    const { weights: _dropped, ...noWeights } = weightedAverage;
    const f = await failures({ ...noWeights, name: 'no-weights' } as unknown as ExactCompositionStrategy);
    expect(f.get('contract: name, exact flag and methods')).toMatch(/must expose weights/);
  });

  it('lists skipped cases with their reason', () => {
    const cases = strategyConformanceCases(weightedAverage, { skip: { 'exact: a single item': 'covered elsewhere' } });
    expect(cases.find((c) => c.name === 'exact: a single item')?.skip).toBe('covered elsewhere');
    const approximate = strategyConformanceCases(factorAverage);
    expect(approximate.find((c) => c.name === 'exact: Σ wᵢ ΔWᵢ for int8 inputs (mixed with f32)')?.skip).toMatch(/approximate/);
  });
});
