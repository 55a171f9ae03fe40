import { describe, expect, it } from 'vitest';
import { createProgress } from '../src/progress.js';

function sink(isTTY: boolean): { stream: { isTTY: boolean; write(text: string): void }; text(): string } {
  let out = '';
  return { stream: { isTTY, write: (t: string) => (out += t) }, text: () => out };
}

describe('progress', () => {
  it('redraws one line in place on a terminal, throttled, and ends it with a newline', () => {
    let now = 0;
    const s = sink(true);
    const bar = createProgress('importing', 1000, 'items', { stream: s.stream, now: () => now, redrawMs: 100 });
    for (let i = 1; i <= 1000; i++) {
      now = i;
      bar.update(i);
    }
    bar.finish('42 patterns');
    const text = s.text();
    expect(text.split('\r').length - 1).toBe(11); // 10 throttled redraws + the final line
    expect(text).toContain('[############............]  50 %');
    expect(text.endsWith('importing done: 1000 in 1.0 s, 42 patterns\x1b[K\n')).toBe(true);
    expect(text.split('\n')).toHaveLength(2);
  });

  it('prints plain lines when not a terminal: one per 10 % and none in between', () => {
    let now = 0;
    const s = sink(false);
    const bar = createProgress('replaying journal', 200, 'items', { stream: s.stream, now: () => now, lineMs: 60_000 });
    for (let i = 1; i <= 200; i++) {
      now = i;
      bar.update(i);
    }
    bar.finish();
    const lines = s.text().trimEnd().split('\n');
    expect(lines).toHaveLength(12); // 0 %…100 % in tenths (the first update counts as 0 %), then "done"
    expect(s.text()).not.toContain('\r');
    expect(lines.at(-1)).toBe('replaying journal done: 200 in 0.2 s');
  });

  it('shows bytes with units and works without a total', () => {
    const s = sink(false);
    const bar = createProgress('loading snapshot', undefined, 'bytes', { stream: s.stream, now: () => 1000, lineMs: 0 });
    bar.update(3 * 1024 * 1024);
    expect(s.text()).toContain('loading snapshot 3.0 MiB');
  });
});
