import { expect, it } from 'vitest';

it('the README example runs as written', async () => {
  const logs: unknown[][] = [];
  const log = (...args: unknown[]): void => void logs.push(args);
  // ---- README example (keep in sync) ----
  const { SeededRng, loraFromFactors } = await import('@microlora/core');
  const { compress, decodeBinary, decompressInto, encodeBinary, relativeFrobeniusError } = await import(
    '@microlora/quantization'
  );

  const rng = new SeededRng(7);
  const lora = loraFromFactors({
    rank: 2, inFeatures: 768, outFeatures: 768,
    a: rng.fillNormal(new Float32Array(2 * 768), 0.03),
    b: rng.fillNormal(new Float32Array(2 * 768), 0.02),
  });
  const bytes = encodeBinary(compress(lora, 'per-row')); // int8 + one scale per rank row + CRC
  const c = decodeBinary(bytes); // CORRUPT_DATA / UNSUPPORTED_VERSION on bad input
  const a = new Float32Array(2 * 768), b = new Float32Array(2 * 768);
  decompressInto(c, { a, b }, { aFactor: lora.scaling }); // allocation-free, scaling folded into A
  log(bytes.length, relativeFrobeniusError(lora, c)); // 3132 0.0108
  // ---- end ----
  expect(logs[0]![0]).toBe(3132);
  expect(logs[0]![1]).toBeGreaterThan(0.009);
  expect(logs[0]![1]).toBeLessThan(0.012);
  console.log(logs[0]);
});
