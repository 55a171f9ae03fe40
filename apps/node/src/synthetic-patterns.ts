import { SeededRng, compress, createLora, loraFromFactors, type CompressedLora, type TimestepRange } from 'microlora';

const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'su', 'ra', 'to', 'vi', 'de', 'po', 'gu', 'shi', 'an', 'el', 'or', 'um', 'ti', 'ba', 'ze', 'qu'];
const RANGES: readonly TimestepRange[] = [[0, 1], [0, 1], [0, 1 / 3], [1 / 3, 2 / 3], [2 / 3, 1], [0, 2 / 3]];

/** A deterministic vocabulary of made-up words (no real-text corpus needed for load tests). */
function vocabulary(rng: SeededRng, size: number): string[] {
  const words = new Set<string>();
  while (words.size < size) {
    const syllables = 2 + rng.int(3);
    let word = '';
    for (let s = 0; s < syllables; s++) word += SYLLABLES[rng.int(SYLLABLES.length)] as string;
    words.add(word);
  }
  return [...words];
}

export interface SyntheticPattern {
  id: string;
  query: string;
  lora: CompressedLora;
  timestepRange: TimestepRange;
}

/** Seeded corpus for load tests: 12-word queries, rank-2 int8 adapters like trained ones (B ≠ 0). */
export class SyntheticCorpus {
  private readonly rng: SeededRng;
  private readonly words: string[];

  constructor(
    readonly hiddenSize: number,
    seed = 'microlora-load-test',
  ) {
    this.rng = new SeededRng(seed);
    this.words = vocabulary(this.rng, 4000);
  }

  query(words = 12): string {
    const out: string[] = [];
    for (let i = 0; i < words; i++) out.push(this.words[this.rng.int(this.words.length)] as string);
    return out.join(' ');
  }

  pattern(index: number): SyntheticPattern {
    const rank = 2;
    const fresh = createLora({ rank, inFeatures: this.hiddenSize, outFeatures: this.hiddenSize, seed: index });
    const lora = compress(loraFromFactors({ ...fresh, b: this.rng.fillNormal(new Float32Array(rank * this.hiddenSize), 0.02) }), 'per-row');
    return { id: `syn-${index}`, query: this.query(), lora, timestepRange: RANGES[index % RANGES.length] as TimestepRange };
  }

  hidden(): number[] {
    return Array.from(this.rng.fillNormal(new Float32Array(this.hiddenSize)));
  }
}
