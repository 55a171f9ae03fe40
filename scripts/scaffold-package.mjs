#!/usr/bin/env node
// Creates packages/<dir> with the standard package.json, tsconfig.json and folders.
// Usage: node scripts/scaffold-package.mjs <dir> "<description>" [dep ...] [--peer dep ...] [--side-effects file ...]
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const [dir, description, ...rest] = process.argv.slice(2);
if (!dir || !description) {
  console.error('usage: scaffold-package.mjs <dir> "<description>" [deps…] [--peer deps…] [--side-effects files…]');
  process.exit(2);
}
const deps = [];
const peers = [];
const sideEffects = [];
let mode = 'dep';
for (const arg of rest) {
  if (arg === '--peer') mode = 'peer';
  else if (arg === '--side-effects') mode = 'side';
  else if (mode === 'dep') deps.push(arg);
  else if (mode === 'peer') peers.push(arg);
  else sideEffects.push(arg);
}
const root = join(process.cwd(), 'packages', dir);
if (existsSync(join(root, 'package.json'))) {
  console.error(`${root} exists`);
  process.exit(1);
}
mkdirSync(join(root, 'src'), { recursive: true });
mkdirSync(join(root, 'tests'), { recursive: true });
const internal = (names) => Object.fromEntries(names.map((n) => [`@microlora/${n}`, 'workspace:^']));
const pkg = {
  name: dir === 'microlora' ? 'microlora' : `@microlora/${dir}`,
  version: '0.1.0',
  description,
  license: 'MIT',
  type: 'module',
  sideEffects: sideEffects.length ? sideEffects.map((f) => `./dist/${f}`) : false,
  exports: {
    '.': { '@microlora/source': './src/index.ts', types: './dist/index.d.ts', default: './dist/index.js' },
    './package.json': './package.json',
  },
  main: './dist/index.js',
  types: './dist/index.d.ts',
  files: ['dist', 'src', 'README.md'],
  engines: { node: '>=20.10' },
  scripts: {
    build: 'tsc -b',
    typecheck: 'tsc -p tsconfig.test.json',
    lint: 'eslint src tests',
    publint: 'publint --strict',
    test: 'vitest run --passWithNoTests=false',
  },
  dependencies: internal(deps),
  peerDependencies: internal(peers),
  devDependencies: { '@microlora/tsconfig': 'workspace:*', ...internal(peers) },
};
for (const k of ['dependencies', 'peerDependencies']) if (Object.keys(pkg[k]).length === 0) delete pkg[k];
writeFileSync(join(root, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
const refs = [...deps, ...peers].map((n) => ({ path: `../${n}` }));
writeFileSync(
  join(root, 'tsconfig.json'),
  JSON.stringify(
    {
      extends: '@microlora/tsconfig/base.json',
      compilerOptions: { rootDir: 'src', outDir: 'dist', tsBuildInfoFile: 'dist/.tsbuildinfo' },
      include: ['src'],
      references: refs,
    },
    null,
    2,
  ) + '\n',
);
writeFileSync(
  join(root, 'tsconfig.test.json'),
  JSON.stringify(
    {
      extends: '@microlora/tsconfig/base.json',
      compilerOptions: { composite: false, noEmit: true, types: ['node'] },
      include: ['src', 'tests'],
    },
    null,
    2,
  ) + '\n',
);
writeFileSync(join(root, 'vitest.config.ts'), `export { default } from '../../vitest.shared.ts';\n`);
console.log(`created ${root}`);
