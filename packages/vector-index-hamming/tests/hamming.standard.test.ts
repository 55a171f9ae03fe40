import { describe, it } from 'vitest';
import { createHammingIndex } from '@microlora/vector-index-hamming';
import { vectorIndexConformanceCases } from '@microlora/vector-index/conformance';

describe('createHammingIndex: VectorIndex conformance (approximate)', () => {
  for (const c of vectorIndexConformanceCases((options) => createHammingIndex(options), { approximate: { minRecallAt10: 0.95 } })) {
    (c.skip === undefined ? it : it.skip)(c.name, () => c.run());
  }
});

describe('createHammingIndex with coarse lists: VectorIndex conformance (approximate)', () => {
  for (const c of vectorIndexConformanceCases((options) => createHammingIndex({ ...options, lists: 8, probes: 3 }), {
    approximate: { minRecallAt10: 0.9 },
  })) {
    (c.skip === undefined ? it : it.skip)(c.name, () => c.run());
  }
});
