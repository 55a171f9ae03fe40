import type { FeedbackResult, GenerationConfig, GenerationResult } from '@microlora/model-tfjs';

/**
 * What the service and the CLI need of a text model: @microlora/model-tfjs's
 * MicroLoraInference satisfies it; tests may pass a stand-in.
 */
export interface TextGenerator {
  /** seqLen: the characters the model reads, query and generated ones together. */
  readonly model: { readonly config: { readonly seqLen: number } };
  /** Synchronous: blocks the event loop for the generation (~0.1–0.3 s for the pretrained model). */
  generate(query: string, config?: GenerationConfig): GenerationResult;
  /** 👍 = 1, 👎 = 0 on a result of generate: updates its patterns' metrics and trains the personal adapter. */
  feedback(result: Pick<GenerationResult, 'trajectory'>, quality: number): FeedbackResult;
}

/**
 * The committed WordNet model and domain patterns on tfjs-wasm, with a personal
 * learner. Imported on demand: tfjs is loaded only by processes that generate.
 */
export async function loadPretrainedGenerator(): Promise<TextGenerator> {
  const { loadPretrainedInference } = await import('@microlora/model-tfjs/node');
  return loadPretrainedInference();
}
