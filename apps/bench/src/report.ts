import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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

export function writeReport(
  dir: string,
  header: { machine: string; date: string; command: string; full: boolean },
  outcomes: SuiteOutcome[],
): string {
  mkdirSync(dir, { recursive: true });
  for (const o of outcomes) {
    writeFileAtomic(
      join(dir, `${o.name}.json`),
      JSON.stringify({ suite: o.name, ...header, seconds: o.seconds, error: o.error, ...o.result }, null, 2) + '\n',
    );
  }
  const parts: string[] = [
    '# MicroLoRA benchmark report',
    '',
    `- Machine: ${header.machine}`,
    `- Date: ${header.date}`,
    `- Command: \`${header.command}\` (${header.full ? 'full' : 'quick'} run)`,
    '- Latencies are per call; p50 is the median, p99 the 99th percentile of mitata samples',
    '  (batched for nanosecond ops). Timings on a shared 2-core VM are noisy: compare ratios within one run.',
    '',
  ];
  for (const o of outcomes) {
    parts.push(`## ${o.name}`, '', `_${o.seconds.toFixed(1)} s_`, '');
    if (o.error) parts.push('**Failed:** `' + o.error + '`', '');
    for (const t of o.result?.tables ?? []) parts.push(tableToMarkdown(t));
  }
  const markdown = parts.join('\n');
  writeFileAtomic(join(dir, 'REPORT.md'), markdown);
  return markdown;
}
