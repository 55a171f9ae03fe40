import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildFigures } from './charts/figures.js';
import type { BenchSuiteResult, BenchTable } from './harness.js';

function escapeCell(value: string | number): string {
  return String(value).replaceAll('|', '\\|').replaceAll('\n', ' ');
}

export function tableToMarkdown(table: BenchTable): string {
  const lines: string[] = [`### ${table.title}`, ''];
  if (table.description) lines.push(table.description, '');
  lines.push(`| ${table.columns.map(escapeCell).join(' | ')} |`);
  lines.push(`| ${table.columns.map(() => '---').join(' | ')} |`);
  for (const row of table.rows) lines.push(`| ${row.map(escapeCell).join(' | ')} |`);
  if (table.notes?.length) lines.push('', ...table.notes.map((n) => `- ${n}`));
  lines.push('');
  return lines.join('\n');
}

/** Writes a file atomically (temp file + rename) so a killed run never leaves half a report. */
export function writeFileAtomic(path: string, content: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, content);
  renameSync(tmp, path);
}

export interface SuiteOutcome {
  name: string;
  result?: BenchSuiteResult;
  error?: string;
  seconds: number;
}

interface StoredSuite extends BenchSuiteResult {
  suite: string;
  machine: string;
  date: string;
  command: string;
  full: boolean;
  seconds: number;
  error?: string;
}

/** Writes results/charts/*.svg from the stored suites; returns the report's "Charts" section (empty when none). */
function writeCharts(dir: string, stored: readonly StoredSuite[]): string[] {
  const figures = buildFigures(stored);
  if (figures.length === 0) return [];
  const chartDir = join(dir, 'charts');
  mkdirSync(chartDir, { recursive: true });
  const lines = ['## Charts', '', 'Each figure states its machine, N, dimensions, parameters and date; the tables below hold the exact numbers.', ''];
  for (const f of figures) {
    writeFileAtomic(join(chartDir, `${f.name}.svg`), f.svg);
    lines.push(`![${f.title}](charts/${f.name}.svg)`, '');
  }
  return lines;
}

/**
 * Writes results/<suite>.json for the suites just run, then rebuilds REPORT.md from
 * every suite's latest JSON (in `order`), so running one suite updates its section
 * and keeps the others. Each section states its own date and command.
 */
export function writeReport(
  dir: string,
  header: { machine: string; date: string; command: string; full: boolean },
  outcomes: SuiteOutcome[],
  order: readonly string[],
): string {
  mkdirSync(dir, { recursive: true });
  for (const o of outcomes) {
    writeFileAtomic(
      join(dir, `${o.name}.json`),
      JSON.stringify({ suite: o.name, ...header, seconds: o.seconds, error: o.error, ...o.result }, null, 2) + '\n',
    );
  }
  const stored: StoredSuite[] = [];
  for (const name of order) {
    const path = join(dir, `${name}.json`);
    if (existsSync(path)) stored.push(JSON.parse(readFileSync(path, 'utf8')) as StoredSuite);
  }
  const parts: string[] = [
    '# MicroLoRA benchmark report',
    '',
    `- Machine: ${header.machine}`,
    `- Regenerate: \`pnpm bench\` (quick) or \`pnpm bench --full\` (adds 100k patterns and longer runs);`,
    '  `pnpm bench <suite> …` re-runs some suites and keeps the others\' latest results.',
    '- Latencies are per call; p50 is the median, p99 the 99th percentile of mitata samples',
    '  (batched for nanosecond ops). Timings on a shared 2-core VM are noisy: compare ratios within one run.',
    '',
  ];
  parts.push(...writeCharts(dir, stored));
  for (const s of stored) {
    parts.push(`## ${s.suite}`, '', `_\`${s.command}\` (${s.full ? 'full' : 'quick'}), ${s.date}, ${s.seconds.toFixed(1)} s, ${s.machine}_`, '');
    if (s.error) parts.push('**Failed:** `' + s.error + '`', '');
    for (const t of s.tables ?? []) parts.push(tableToMarkdown(t));
  }
  const markdown = parts.join('\n');
  writeFileAtomic(join(dir, 'REPORT.md'), markdown);
  return markdown;
}
