import { describe, expect, it } from 'vitest';
import { isMicroLoraError } from '@microlora/core';
import { decodePatternFile, encodePatternFile } from '../src/pattern-file.js';

describe('the stored pattern bank file', () => {
  it('round-trips the TALoRA bytes with the CRCs of the files they came from', () => {
    const talora = Uint8Array.from({ length: 1000 }, (_, i) => (i * 37) & 0xff);
    const file = decodePatternFile(encodePatternFile({ modelCrc: 0x89abcdef, shippedCrc: 7, talora }));
    expect(file).toEqual({ modelCrc: 0x89abcdef, shippedCrc: 7, talora });
  });

  it('rejects damaged bytes with CORRUPT_DATA', () => {
    const bytes = encodePatternFile({ modelCrc: 1, shippedCrc: 2, talora: new Uint8Array(64).fill(3) });
    for (const bad of [bytes.subarray(0, 30), Uint8Array.from(bytes, (b, i) => (i === 20 ? b ^ 1 : b))]) {
      let code = 'nothing thrown';
      try {
        decodePatternFile(bad);
      } catch (error) {
        code = isMicroLoraError(error) ? error.code : String(error);
      }
      expect(code).toBe('CORRUPT_DATA');
    }
  });
});
