import { expect, it } from 'vitest';

// The README's example, run as written (its console output is checked loosely: the text depends on the weights).
it('README example runs', async () => {
  const logs: unknown[][] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => void logs.push(args);
  try {
    // --- README example start ---
    const { loadPretrainedInference } = await import('@microlora/model-tfjs/node');

    const inf = await loadPretrainedInference(); // tfjs-wasm, committed weights + domain patterns
    const result = inf.generate('oak: ', { maxNewTokens: 32, steps: 16 });
    console.log(result.fullText, `${result.latencyMs.toFixed(0)} ms`, result.trajectory.dgrRetrievals);
    console.log(result.trajectory.steps[0]?.sources); // the patterns TALoRA composed at t = 15/16

    inf.feedback(result, 1); // 👍: the personal adapter makes this text likelier
    const base = inf.generate('oak: ', { adapt: false }); // the base model, no adapter
    console.log(base.text);
    // --- README example end ---
  } finally {
    console.log = log;
  }
  expect(logs).toHaveLength(3);
  expect(String(logs[0]?.[0])).toMatch(/^oak: .{32}$/);
  expect(Array.isArray(logs[1]?.[0]) && (logs[1]?.[0] as string[]).length).toBeGreaterThan(0);
});
