import { describe, expect, it } from 'vitest';
import { loraFromFactors } from '@microlora/core';
import type { CompressedLora } from '@microlora/core';
import { QUANT_SCHEMES, compress, decodeJson, encodeJson } from '@microlora/quantization';
import { randomLora } from './fixtures.js';
import { expectCode } from './helpers.js';

const tiny = loraFromFactors({
  rank: 1,
  inFeatures: 2,
  outFeatures: 3,
  a: Float32Array.from([0.5, -1]),
  b: Float32Array.from([0.25, 0, -0.125]),
  alpha: 2,
  layerMask: 5n,
});

describe('encodeJson / decodeJson', () => {
  it('writes the documented fields: version, base64 data, hex layer mask', () => {
    expect(JSON.parse(encodeJson(compress(tiny, 'asymmetric')))).toEqual({
      format: 'microlora/compressed-lora',
      version: 1,
      scheme: 'asymmetric',
      rank: 1,
      inFeatures: 2,
      outFeatures: 3,
      groupSize: null,
      alpha: 2,
      layerMask: '0x5',
      a: { scales: [Math.fround(1.5 / 255)], zeroPoints: [42], data: 'f4A=' },
      b: { scales: [Math.fround(0.375 / 255)], zeroPoints: [-43], data: 'f9WA' },
    });
  });

  it('round-trips every scheme exactly', () => {
    let seed = 1;
    for (const scheme of QUANT_SCHEMES) {
      for (const [rank, n, m] of [
        [1, 8, 8],
        [3, 16, 40],
        [4, 64, 8],
      ] as const) {
        const lora = randomLora(seed++, rank, n, m, 10 ** (seed % 5 - 2));
        const c = compress(lora, scheme, scheme === 'grouped' ? { groupSize: 8 } : {});
        const back = decodeJson(encodeJson(c));
        expect(back).toEqual(c);
        expect(encodeJson(back)).toBe(encodeJson(c));
      }
    }
    const full = compress({ ...tiny, layerMask: 0xffff_ffff_ffff_ffffn });
    expect(decodeJson(encodeJson(full)).layerMask).toBe(0xffff_ffff_ffff_ffffn);
  });
});

interface JsonTensor {
  [key: string]: unknown;
  scales: unknown[];
  zeroPoints: unknown[] | null;
}
interface JsonLora {
  [key: string]: unknown;
  a: JsonTensor;
  b: JsonTensor;
}

describe('base64 payloads', () => {
  it('match the platform encoder for every length remainder, and decode back', () => {
    for (let n = 1; n <= 40; n++) {
      const c = compress(randomLora(n, 1, n, 1), 'per-row');
      const json = JSON.parse(encodeJson(c)) as { a: { data: string } };
      expect(json.a.data).toBe(Buffer.from(c.a.data.buffer, c.a.data.byteOffset, n).toString('base64'));
      expect(decodeJson(encodeJson(c)).a.data).toEqual(c.a.data);
    }
  });
});

describe('decodeJson rejects damaged input', () => {
  const valid = (): JsonLora => JSON.parse(encodeJson(compress(tiny, 'asymmetric'))) as JsonLora;
  const withEdit = (edit: (o: JsonLora) => void): string => {
    const o = valid();
    edit(o);
    return JSON.stringify(o);
  };

  it('garbage and non-objects', () => {
    for (const text of ['', 'nope', '{', '[]', 'null', '42', '"x"', '{"format":1}', '{}']) {
      expectCode(() => decodeJson(text), 'CORRUPT_DATA');
    }
    expectCode(() => decodeJson(42 as unknown as string), 'INVALID_ARGUMENT');
  });

  it('versions: another integer is UNSUPPORTED_VERSION, a wrong type CORRUPT_DATA', () => {
    expectCode(() => decodeJson(withEdit((o) => (o.version = 2))), 'UNSUPPORTED_VERSION');
    expectCode(() => decodeJson(withEdit((o) => (o.version = '1'))), 'CORRUPT_DATA');
    expectCode(() => decodeJson(withEdit((o) => delete o.version)), 'CORRUPT_DATA');
    expectCode(() => decodeJson(withEdit((o) => (o.version = 1.5))), 'CORRUPT_DATA');
  });

  it('missing, unknown and wrongly typed fields', () => {
    for (const key of Object.keys(valid())) expectCode(() => decodeJson(withEdit((o) => delete o[key])), 'CORRUPT_DATA');
    for (const key of ['scales', 'zeroPoints', 'data']) {
      expectCode(() => decodeJson(withEdit((o) => delete o.a[key])), 'CORRUPT_DATA');
    }
    expectCode(() => decodeJson(withEdit((o) => (o.extra = 1))), 'CORRUPT_DATA');
    expectCode(() => decodeJson(withEdit((o) => (o.b.extra = 1))), 'CORRUPT_DATA');
    expectCode(() => decodeJson(withEdit((o) => (o.format = 'other'))), 'CORRUPT_DATA');
    expectCode(() => decodeJson(withEdit((o) => (o.scheme = 'fp4'))), 'CORRUPT_DATA');
    expectCode(() => decodeJson(withEdit((o) => (o.rank = '1'))), 'CORRUPT_DATA');
    expectCode(() => decodeJson(withEdit((o) => (o.rank = 0))), 'CORRUPT_DATA');
    expectCode(() => decodeJson(withEdit((o) => (o.inFeatures = 1e9))), 'CORRUPT_DATA');
    expectCode(() => decodeJson(withEdit((o) => (o.alpha = null))), 'CORRUPT_DATA');
    expectCode(() => decodeJson(withEdit((o) => (o.groupSize = 2))), 'CORRUPT_DATA');
    expectCode(() => decodeJson(withEdit((o) => (o.a = [1] as unknown as JsonTensor))), 'CORRUPT_DATA');
    for (const mask of [5, '5', '0x', '0xG', '0x1ffffffffffffffff', '0XFF', '0xFF']) {
      expectCode(() => decodeJson(withEdit((o) => (o.layerMask = mask))), 'CORRUPT_DATA');
    }
  });

  it('wrong lengths, bad scales and zero points, non-canonical base64', () => {
    expectCode(() => decodeJson(withEdit((o) => o.a.scales.push(1))), 'CORRUPT_DATA');
    expectCode(() => decodeJson(withEdit((o) => (o.a.zeroPoints = null))), 'CORRUPT_DATA');
    for (const s of [0, -1, 1e39, '1', null]) expectCode(() => decodeJson(withEdit((o) => (o.a.scales[0] = s))), 'CORRUPT_DATA');
    expectCode(() => decodeJson(withEdit((o) => (o.a.scales[0] = 1e-50))), 'CORRUPT_DATA');
    expectCode(() => decodeJson(withEdit((o) => (o.a.scales[0] = 'INF')).replace('"INF"', '1e400')), 'CORRUPT_DATA');
    for (const z of [128, -129, 1.5, '0']) expectCode(() => decodeJson(withEdit((o) => (o.b.zeroPoints![0] = z))), 'CORRUPT_DATA');
    for (const data of ['f4A', 'f4A==', 'f4B=', 'f4A*', 'f4 =', 'f9WAAA==', 5]) {
      expectCode(() => decodeJson(withEdit((o) => (o.a.data = data))), 'CORRUPT_DATA');
    }
    // the same damage is caught through text too: 1e400 parses to Infinity
    expectCode(() => decodeJson(encodeJson(compress(tiny)).replace(/"alpha":2/, '"alpha":1e400')), 'CORRUPT_DATA');
  });

  it('a per-row adapter may not carry zero points or a group size', () => {
    const perRow = JSON.parse(encodeJson(compress(tiny, 'per-row'))) as JsonLora;
    perRow.a.zeroPoints = [0];
    expectCode(() => decodeJson(JSON.stringify(perRow)), 'CORRUPT_DATA');
    const grouped: CompressedLora = compress(randomLora(1, 1, 8, 8), 'grouped', { groupSize: 4 });
    const g = JSON.parse(encodeJson(grouped)) as JsonLora;
    g.groupSize = 3;
    expectCode(() => decodeJson(JSON.stringify(g)), 'CORRUPT_DATA');
    g.groupSize = 8; // divides but the scale count no longer matches
    expectCode(() => decodeJson(JSON.stringify(g)), 'CORRUPT_DATA');
  });
});
