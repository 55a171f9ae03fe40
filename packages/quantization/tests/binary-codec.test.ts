import { describe, expect, it } from 'vitest';
import { FEATURES_LIMIT, RANK_LIMIT, loraFromFactors } from '@microlora/core';
import type { CompressedLora } from '@microlora/core';
import {
  BINARY_HEADER_BYTES,
  QUANT_SCHEMES,
  byteSize,
  compress,
  decodeBinary,
  encodeBinary,
} from '@microlora/quantization';
import { randomLora, realisticLora } from './fixtures.js';
import { codeOf, expectCode, hex, withFixedCrc } from './helpers.js';

const tiny = loraFromFactors({
  rank: 1,
  inFeatures: 2,
  outFeatures: 3,
  a: Float32Array.from([0.5, -1]),
  b: Float32Array.from([0.25, 0, -0.125]),
  alpha: 2,
  layerMask: 5n,
});

function samples(): CompressedLora[] {
  const out: CompressedLora[] = [];
  let seed = 100;
  for (const scheme of QUANT_SCHEMES) {
    const shapes = scheme === 'grouped' ? [[1, 8, 16], [3, 64, 32], [2, 96, 48]] : [[1, 1, 1], [2, 5, 9], [4, 33, 17]];
    for (const [rank, n, m] of shapes as [number, number, number][]) {
      out.push(compress(randomLora(seed++, rank, n, m), scheme, scheme === 'grouped' ? { groupSize: 8 } : {}));
    }
  }
  return out;
}

describe('encodeBinary / decodeBinary', () => {
  it('golden bytes: the documented v1 layout, byte for byte', () => {
    // magic "MLQ8", version 1, scheme 1 (per-row), reserved 0, rank 1, in 2, out 3, groupSize 0,
    // alpha 2.0 (f64), layerMask 5 (u64), A scale 1/127, B scale 0.25/127 (f32), A data [64, −127],
    // B data [127, 0, −64], CRC-32.
    expect(hex(encodeBinary(compress(tiny, 'per-row')))).toBe(
      '4d4c5138' + '0100' + '01' + '00' + '01000000' + '02000000' + '03000000' + '00000000' +
        '0000000000000040' + '0500000000000000' + '0402013c' + '0402013b' + '4081' + '7f00c0' + '105afb94',
    );
    // asymmetric adds int16 zero points (42, −43) after the scales
    expect(hex(encodeBinary(compress(tiny, 'asymmetric')))).toBe(
      '4d4c5138' + '0100' + '02' + '00' + '01000000' + '02000000' + '03000000' + '00000000' +
        '0000000000000040' + '0500000000000000' + 'c1c0c03b' + 'c1c0c03a' + '2a00' + 'd5ff' + '7f80' + '7fd580' + 'fc1c8678',
    );
  });

  it('round-trips every scheme exactly, and encoding is canonical', () => {
    for (const c of samples()) {
      const bytes = encodeBinary(c);
      const back = decodeBinary(bytes);
      expect(back).toEqual(c);
      expect(encodeBinary(back)).toEqual(bytes);
      expect(encodeBinary(c)).toEqual(bytes);
    }
  });

  it('encodes tensors that are views into a larger buffer the same as standalone ones', () => {
    const c = compress(randomLora(3, 2, 16, 8), 'asymmetric');
    const pool = new Int8Array(100);
    pool.set(c.a.data, 7);
    const viewed: CompressedLora = { ...c, a: { ...c.a, data: pool.subarray(7, 7 + c.a.data.length) } };
    expect(encodeBinary(viewed)).toEqual(encodeBinary(c));
    // and a decoded adapter does not alias the input bytes
    const bytes = encodeBinary(c);
    const back = decodeBinary(bytes);
    bytes.fill(0);
    expect(back).toEqual(c);
  });

  it('byteSize is exactly the encoded length', () => {
    for (const c of samples()) expect(byteSize(c)).toBe(encodeBinary(c).length);
    for (const scheme of QUANT_SCHEMES) {
      const c = compress(realisticLora(1, 2), scheme);
      expect(byteSize(c)).toBe(encodeBinary(c).length);
    }
  });

  it('a rank-2 768×768 per-row adapter is 3132 bytes: 3072 payload + 40 header + 4 scales + CRC', () => {
    const c = compress(realisticLora(1, 2), 'per-row');
    expect(byteSize(c)).toBe(3072 + BINARY_HEADER_BYTES + 16 + 4);
    expect(byteSize(c)).toBeLessThanOrEqual(3200);
    // f32 would take 2·768·2·4 = 12288 bytes: int8 is ~4× smaller
    expect(12288 / byteSize(c)).toBeGreaterThan(3.9);
  });

  it('refuses to encode an invalid CompressedLora', () => {
    const c = compress(tiny);
    expectCode(() => encodeBinary({ ...c, alpha: Number.NaN }), 'INVALID_ARGUMENT');
    expectCode(() => encodeBinary({ ...c, a: { ...c.a, scales: Float32Array.of(-1) } }), 'INVALID_ARGUMENT');
    expectCode(() => byteSize({ ...c, rank: 2 }), 'INVALID_ARGUMENT');
  });
});

describe('decodeBinary rejects damaged input', () => {
  const valid = encodeBinary(compress(randomLora(5, 2, 12, 8), 'asymmetric'));
  const edited = (edit: (view: DataView) => void, fixCrc = true): Uint8Array => {
    const copy = valid.slice();
    edit(new DataView(copy.buffer));
    return fixCrc ? withFixedCrc(copy) : copy;
  };

  it('every truncation and any trailing byte', () => {
    for (let len = 0; len < valid.length; len++) expectCode(() => decodeBinary(valid.subarray(0, len)), 'CORRUPT_DATA');
    const longer = new Uint8Array(valid.length + 1);
    longer.set(valid);
    expectCode(() => decodeBinary(longer), 'CORRUPT_DATA');
    expectCode(() => decodeBinary(withFixedCrc(longer)), 'CORRUPT_DATA');
  });

  it('every single-bit flip', () => {
    for (let i = 0; i < valid.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const copy = valid.slice();
        copy[i]! ^= 1 << bit;
        const code = codeOf(() => decodeBinary(copy));
        // a flip inside the version field of a file whose CRC still matches cannot happen: CRC covers it
        expect(code).toBe('CORRUPT_DATA');
      }
    }
  });

  it('wrong magic, unknown scheme, reserved byte, bad group size', () => {
    expectCode(() => decodeBinary(edited((v) => v.setUint8(0, 0x4e))), 'CORRUPT_DATA');
    expectCode(() => decodeBinary(edited((v) => v.setUint8(6, 4))), 'CORRUPT_DATA');
    expectCode(() => decodeBinary(edited((v) => v.setUint8(7, 1))), 'CORRUPT_DATA');
    expectCode(() => decodeBinary(edited((v) => v.setUint32(20, 4, true))), 'CORRUPT_DATA');
    const grouped = encodeBinary(compress(randomLora(5, 2, 12, 8), 'grouped', { groupSize: 4 }));
    const g3 = grouped.slice();
    new DataView(g3.buffer).setUint32(20, 3, true); // does not divide 8
    expectCode(() => decodeBinary(withFixedCrc(g3)), 'CORRUPT_DATA');
    new DataView(g3.buffer).setUint32(20, 0, true);
    expectCode(() => decodeBinary(withFixedCrc(g3)), 'CORRUPT_DATA');
  });

  it('absurd declared sizes are CORRUPT_DATA (checked against the byte length)', () => {
    for (const [offset, value] of [
      [8, 0],
      [8, RANK_LIMIT + 1],
      [8, 0xffffffff],
      [12, 0],
      [12, FEATURES_LIMIT + 1],
      [16, 0xffffffff],
    ] as const) {
      expectCode(() => decodeBinary(edited((v) => v.setUint32(offset, value, true))), 'CORRUPT_DATA');
    }
    // within the caps but far beyond the actual bytes (~67 MB declared): rejected by the length check
    const declared = edited((v) => {
      v.setUint32(8, RANK_LIMIT, true);
      v.setUint32(12, FEATURES_LIMIT, true);
    });
    expect(codeOf(() => decodeBinary(declared))).toBe('CORRUPT_DATA');
  });

  it('non-finite alpha, bad scales and out-of-range zero points, even with a valid CRC', () => {
    expectCode(() => decodeBinary(edited((v) => v.setFloat64(24, Number.NaN, true))), 'CORRUPT_DATA');
    expectCode(() => decodeBinary(edited((v) => v.setFloat64(24, Number.POSITIVE_INFINITY, true))), 'CORRUPT_DATA');
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, 0, -0.5, 1e-40, 2 ** 101]) {
      expectCode(() => decodeBinary(edited((v) => v.setFloat32(40, bad, true))), 'CORRUPT_DATA');
    }
    // 4 scales (2 per factor) then the zero points
    const zeroOffset = 40 + 4 * 4;
    for (const bad of [128, -129, 32767]) {
      expectCode(() => decodeBinary(edited((v) => v.setInt16(zeroOffset, bad, true))), 'CORRUPT_DATA');
    }
  });

  it('another version is UNSUPPORTED_VERSION; a damaged version field is CORRUPT_DATA', () => {
    expectCode(() => decodeBinary(edited((v) => v.setUint16(4, 2, true))), 'UNSUPPORTED_VERSION');
    expectCode(() => decodeBinary(edited((v) => v.setUint16(4, 2, true), false)), 'CORRUPT_DATA');
    // a future version with a different layout still ends in a CRC of the rest
    const future = withFixedCrc(Uint8Array.from([0x4d, 0x4c, 0x51, 0x38, 2, 0, ...new Uint8Array(50)]));
    expectCode(() => decodeBinary(future), 'UNSUPPORTED_VERSION');
  });

  it('rejects a non-Uint8Array argument with INVALID_ARGUMENT', () => {
    expectCode(() => decodeBinary('MLQ8' as unknown as Uint8Array), 'INVALID_ARGUMENT');
    expectCode(() => decodeBinary(new Uint8Array(valid).buffer as unknown as Uint8Array), 'INVALID_ARGUMENT');
  });
});
