import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';

const EXAMPLE_START = '  // ---- README example ----\n';
const EXAMPLE_END = '  // ---- end ----\n';

it('the README example runs as written', async () => {
  const logs: unknown[][] = [];
  const log = (...args: unknown[]): void => void logs.push(args);
  // ---- README example ----
  const { createLora, initialPatternMetrics } = await import('@microlora/core');
  const { compress } = await import('@microlora/quantization');
  const { ReplayGuard, TrustedKeys, exportBundle, generateSigningKey, importBundle, signPattern } = await import('@microlora/federation');

  const me = await generateSigningKey();
  const now = Date.now();
  const pattern = await signPattern({
    id: 'p1', embedding: new Float32Array(768).fill(0.036), timestepRange: [0, 1],
    lora: compress(createLora({ rank: 2, inFeatures: 768, outFeatures: 768, seed: 1 })),
    metrics: initialPatternMetrics(now), provenance: { originKeyId: '', createdAt: now, parentIds: [] },
    policy: { tier: 'public', ownerId: 'user-1', consent: true }, // 'private' would never leave
  }, me);
  const { bytes, stats } = await exportBundle([pattern], { recipientTier: 'public', signingKey: me });

  // On the receiving peer: trust the sender's key, keep ONE ReplayGuard for all imports.
  const trustedKeys = await TrustedKeys.from([me.publicKey]);
  const { patterns } = await importBundle(bytes, {
    trustedKeys, seen: new ReplayGuard(), limits: { maxBytes: 1 << 20, maxPatterns: 256, maxNorm: 10, dimension: 768 },
  });
  log(stats.exported, bytes.length, patterns[0]?.id); // 1 6564 p1
  // ---- end ----
  expect(logs[0]).toStrictEqual([1, 6564, 'p1']);
  expect(patterns[0]).toStrictEqual(pattern);
});

it('the README shows exactly the code above', () => {
  const self = readFileSync(new URL(import.meta.url), 'utf8');
  const fromTest = self
    .slice(self.indexOf(EXAMPLE_START) + EXAMPLE_START.length, self.indexOf(EXAMPLE_END))
    .split('\n')
    .map((line) => line.slice(2))
    .join('\n')
    .replace(/const \{ (.+) \} = await import\('(.+)'\);/g, "import { $1 } from '$2';")
    .replace('log(', 'console.log(');
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  expect(readme).toContain(fromTest);
});
