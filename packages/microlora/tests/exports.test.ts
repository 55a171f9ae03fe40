import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as umbrella from 'microlora';
import * as core from '@microlora/core';
import * as bank from '@microlora/bank';
import * as composer from '@microlora/composer';
import * as talora from '@microlora/talora';
import * as embed from '@microlora/embed';
import * as hamming from '@microlora/vector-index-hamming';

describe('re-exports', () => {
  it('are the scoped packages’ own objects', () => {
    expect(umbrella.MicroLoraError).toBe(core.MicroLoraError);
    expect(umbrella.MicroLoraBank).toBe(bank.MicroLoraBank);
    expect(umbrella.getStrategy).toBe(composer.getStrategy);
    expect(umbrella.TaloraManager).toBe(talora.TaloraManager);
    expect(umbrella.HashingEmbedder).toBe(embed.HashingEmbedder);
    expect(umbrella.createHammingIndex).toBe(hamming.createHammingIndex);
    expect(typeof umbrella.compress).toBe('function');
    expect(typeof umbrella.createFlatIndex).toBe('function');
    expect(typeof umbrella.getBackend).toBe('function');
    expect(umbrella.listBackends()).toContain('wasm'); // importing the umbrella registers the wasm backend
  });
});

describe('versions', () => {
  it('match every bundled package.json (regenerate with `node scripts/generate-versions.mjs`)', () => {
    const packagesDir = join(import.meta.dirname, '..', '..');
    const self = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as {
      name: string;
      dependencies: Record<string, string>;
      peerDependencies: Record<string, string>;
    };
    const wanted = new Set([self.name, ...Object.keys(self.dependencies), ...Object.keys(self.peerDependencies)]);
    const expected: Record<string, string> = {};
    for (const dir of readdirSync(packagesDir)) {
      const file = join(packagesDir, dir, 'package.json');
      if (!existsSync(file)) continue;
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name: string; version: string };
      if (wanted.has(pkg.name)) expected[pkg.name] = pkg.version;
    }
    expect({ ...umbrella.versions }).toEqual(expected);
    expect(umbrella.versions['microlora']).toBe(self.name === 'microlora' ? expected['microlora'] : undefined);
  });
});
