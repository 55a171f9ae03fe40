import { describe, it } from 'vitest';
import { getStrategy, listStrategies } from '@microlora/composer';
import type { ComposeOptions } from '@microlora/composer';
import { strategyConformanceCases } from '@microlora/composer/testkit';

// Every built-in runs the published conformance kit, with defaults and with non-default options.
const runs: [string, ComposeOptions & Record<string, unknown>][] = [
  ['weighted-average', {}],
  ['attention', {}],
  ['attention', { temperature: 0.05 }],
  ['top-k', {}],
  ['top-k', { k: 2 }],
  ['task-arithmetic', {}],
  ['task-arithmetic', { lambda: -0.5 }],
  ['factor-average', {}],
];

it('covers every registered built-in', ({ expect }) => {
  expect(new Set(runs.map(([n]) => n))).toEqual(new Set(listStrategies()));
});

describe.each(runs)('%s %o passes the conformance kit', (name, options) => {
  for (const c of strategyConformanceCases(getStrategy(name), { options })) {
    it.skipIf(c.skip !== undefined)(c.name, c.run);
  }
});
