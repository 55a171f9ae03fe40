import { describe, it } from 'vitest';
import { createFlatIndex } from '@microlora/vector-index';
import { vectorIndexConformanceCases } from '@microlora/vector-index/conformance';

describe('flat index conformance', () => {
  for (const c of vectorIndexConformanceCases((options) => createFlatIndex(options))) {
    (c.skip === undefined ? it : it.skip)(c.name, () => c.run());
  }
});
