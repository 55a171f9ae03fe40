import { describe, expect, it } from 'vitest';
import { runDemo } from 'microlora';

describe('runDemo', () => {
  it('runs end to end and reports consistent figures', async () => {
    const lines: string[] = [];
    const summary = await runDemo((line) => lines.push(line));
    expect(summary.patterns).toBe(12);
    expect(summary.requests).toBe(18 + 1 + 6); // the loop, the feedback example, the round-trip check
    expect(summary.roundTripIdentical).toBe(true);
    expect(summary.onTopic).toBeGreaterThanOrEqual(15);
    expect(lines.length).toBe(1 + 1 + 18 + 1 + 1 + 1);
    expect(lines.at(-1)).toContain('bit-identical');
  });
});
