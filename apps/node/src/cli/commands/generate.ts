import {
  MAX_GENERATE_QUERY_CHARS,
  MAX_GENERATE_STEPS,
  MAX_NEW_TOKENS,
  generationConfigFor,
  summarizeGeneration,
  type GenerateRequest,
} from '../../generation/generation-request.js';
import { loadPretrainedGenerator, type TextGenerator } from '../../generation/text-generator.js';
import type { Command } from '../command.js';
import { integerOption, numberOption, parseCommandLine } from '../options.js';
import { UsageError } from '../usage-error.js';

/** `microlora generate`, over `load` (the pretrained model by default; tests may pass another). */
export function createGenerateCommand(load: () => Promise<TextGenerator> = loadPretrainedGenerator): Command {
  return {
    name: 'generate',
    summary: 'continue a text with the pretrained diffusion model (TALoRA + DGR)',
    help: `Usage: microlora generate "<query>" [options]

Loads the committed WordNet character model (@microlora/model-tfjs, on tfjs-wasm)
with its domain patterns and continues <query> (1–${MAX_GENERATE_QUERY_CHARS} characters; the model reads
lower-case letters, digits and ' -,;:.()/, others become ?), adapting every
diffusion step with the patterns retrieved for it. Prints the generated text,
then its length and latency. Glosses read "lemma: definition", e.g. "dog:".

Options:
  --steps N             diffusion steps, 1–${MAX_GENERATE_STEPS} (default 16)
  --max-new N           characters to generate, 1–${MAX_NEW_TOKENS}; query + N must fit in 64
                        (default 32, cut to fit)
  --no-dgr              no denoising-guided retrieval (extra retrieval on uncertain steps)
  --seed N              seed of the sampling (default 1)
  --temperature X       0 = greedy (default), > 0 samples
  --json                print the generation as POST /generate answers it (without id)
  -h, --help            this help`,
    async run(args, io) {
      const { values, positionals } = parseCommandLine(
        args,
        {
          steps: { type: 'string' },
          'max-new': { type: 'string' },
          'no-dgr': { type: 'boolean' },
          seed: { type: 'string' },
          temperature: { type: 'string' },
          json: { type: 'boolean' },
        },
        true,
      );
      if (positionals.length !== 1) throw new UsageError(`give exactly one query, quoted (got ${positionals.length} arguments)`);
      const query = positionals[0] as string;
      if (query.length === 0 || query.length > MAX_GENERATE_QUERY_CHARS) {
        throw new UsageError(`the query must have 1–${MAX_GENERATE_QUERY_CHARS} characters, got ${query.length}`);
      }
      const request: GenerateRequest = {
        query,
        steps: integerOption('steps', values.steps, 1, MAX_GENERATE_STEPS),
        maxNewTokens: integerOption('max-new', values['max-new'], 1, MAX_NEW_TOKENS),
        seed: integerOption('seed', values.seed, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER),
        temperature: numberOption('temperature', values.temperature, 0, 1000),
        ...(values['no-dgr'] === true ? { dgr: false } : {}),
      };
      const loadStart = performance.now();
      const generator = await load();
      const loadMs = performance.now() - loadStart;
      const result = generator.generate(query, generationConfigFor(request, generator.model.config.seqLen));
      const summary = summarizeGeneration(result);
      if (values.json === true) {
        io.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
        return 0;
      }
      io.stdout.write(
        `${summary.text}\n${summary.tokensGenerated} characters in ${summary.latencyMs.toFixed(0)} ms (${summary.steps.length} steps, ${summary.dgrRetrievals} DGR retrievals, ${summary.sources.length} patterns; model loaded in ${loadMs.toFixed(0)} ms)\n`,
      );
      return 0;
    },
  };
}

export const generateCommand = createGenerateCommand();
