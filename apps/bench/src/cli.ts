#!/usr/bin/env node
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineDescription } from './harness.js';
import type { BenchSuite } from './harness.js';
import { writeReport } from './report.js';
import type { SuiteOutcome } from './report.js';
import { suites } from './suites/index.js';

const args = process.argv.slice(2);
const full = args.includes('--full');
const only = args.filter((a) => !a.startsWith('--'));
const outDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');

const selected: BenchSuite[] = suites.filter((s) => (only.length ? only.includes(s.name) : full || s.quick));
if (selected.length === 0) {
  console.error(`no suite matches ${only.join(', ')}; suites: ${suites.map((s) => s.name).join(', ')}`);
  process.exit(2);
}

const outcomes: SuiteOutcome[] = [];
for (const suite of selected) {
  const t0 = performance.now();
  console.log(`▶ ${suite.name}`);
  try {
    const result = await suite.run({ full, log: (m) => console.log(`  ${suite.name}: ${m}`) });
    outcomes.push({ name: suite.name, result, seconds: (performance.now() - t0) / 1000 });
  } catch (err) {
    console.error(err);
    outcomes.push({ name: suite.name, error: String(err), seconds: (performance.now() - t0) / 1000 });
  }
}

const markdown = writeReport(
  outDir,
  {
    machine: machineDescription(),
    date: new Date().toISOString(),
    command: `pnpm bench${full ? ' --full' : ''}${only.length ? ' ' + only.join(' ') : ''}`,
    full,
  },
  outcomes,
  suites.map((s) => s.name),
);
console.log('\n' + markdown);
console.log(`wrote ${join(outDir, 'REPORT.md')}`);
process.exit(outcomes.some((o) => o.error) ? 1 : 0);
