import type { MicroLora } from 'microlora';
import type { ResponseHead } from './response-head.js';
import { RESPONSE_STYLES } from './response-styles.js';
import { styleAdapter } from './style-adapter.js';

/** What earlier users asked, per topic, and the style they liked for it. */
const SEED_CORPUS: readonly { topic: string; style: string; queries: readonly string[] }[] = [
  {
    topic: 'cooking',
    style: 'step-by-step',
    queries: [
      'vegetarian pasta recipe with roasted tomatoes garlic and fresh basil',
      'how long to bake sourdough bread and how to get a crisp crust',
      'quick weeknight curry recipe with chickpeas spinach and coconut milk',
    ],
  },
  {
    topic: 'code',
    style: 'concise',
    queries: [
      'fix the off by one error in this javascript loop over an array',
      'write a python function that parses a csv file into a list of dicts',
      'why does typescript say this property does not exist on type',
    ],
  },
  {
    topic: 'travel',
    style: 'friendly',
    queries: [
      'plan a weekend hiking trip in the mountains with a small budget',
      'what should I pack for a summer beach holiday with kids',
      'best way to spend three days in a city I have never visited',
    ],
  },
  {
    topic: 'letters',
    style: 'formal',
    queries: [
      'write an email to my landlord asking for the heating to be repaired',
      'draft a letter to cancel my insurance contract at the end of the term',
      'reply to a customer complaint about a late delivery',
    ],
  },
];

/** Number of patterns seedPatterns stores. */
export const SEED_PATTERN_COUNT = SEED_CORPUS.reduce((n, t) => n + t.queries.length, 0);

/**
 * Fills a fresh MicroLoRA with the seed corpus: one rank-1 style adapter per query
 * (id `<topic>-<n>`), so that retrieval gives each topic its users' preferred style.
 */
export function seedPatterns(micro: MicroLora, head: ResponseHead): void {
  for (const topic of SEED_CORPUS) {
    const style = RESPONSE_STYLES.findIndex((s) => s.id === topic.style);
    topic.queries.forEach((query, i) => {
      const lora = styleAdapter(micro.embed(query), head.direction(style));
      micro.insertPattern({ id: `${topic.topic}-${i}`, query, lora });
    });
  }
}
