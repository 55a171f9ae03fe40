// Word-character classes and case folding per code point, computed lazily in
// blocks of 256 code points so that the hot loop is two table reads and the
// only Unicode API calls (a `u` regex and toLowerCase on one code point) happen
// once per block. Both are locale-independent.

const WORD_CHAR = /^[\p{L}\p{N}\p{M}]$/u;
const BLOCK_BITS = 8;
const BLOCK_SIZE = 1 << BLOCK_BITS;

/** Folded code point of each code point in a block, or −1 for a non-word character. */
type FoldBlock = Int32Array;

const bmpBlocks: (FoldBlock | undefined)[] = new Array<FoldBlock | undefined>(0x10000 >>> BLOCK_BITS);
const astralBlocks = new Map<number, FoldBlock>();

function buildBlock(blockIndex: number): FoldBlock {
  const block = new Int32Array(BLOCK_SIZE);
  const base = blockIndex << BLOCK_BITS;
  for (let j = 0; j < BLOCK_SIZE; j++) {
    const cp = base + j;
    if (cp >= 0xd800 && cp <= 0xdfff) {
      block[j] = -1; // a lone surrogate is not text
      continue;
    }
    const ch = String.fromCodePoint(cp);
    if (!WORD_CHAR.test(ch)) {
      block[j] = -1;
      continue;
    }
    // Simple per-code-point lower case; a multi-code-point expansion keeps its first code point.
    block[j] = ch.toLowerCase().codePointAt(0) ?? cp;
  }
  return block;
}

/**
 * The case-folded code point of `cp` if it is a word character (a Unicode letter,
 * number or combining mark), otherwise −1.
 */
export function foldWordChar(cp: number): number {
  const blockIndex = cp >>> BLOCK_BITS;
  let block: FoldBlock | undefined;
  if (cp < 0x10000) {
    block = bmpBlocks[blockIndex];
    if (block === undefined) {
      block = buildBlock(blockIndex);
      bmpBlocks[blockIndex] = block;
    }
  } else {
    block = astralBlocks.get(blockIndex);
    if (block === undefined) {
      block = buildBlock(blockIndex);
      astralBlocks.set(blockIndex, block);
    }
  }
  return block[cp & (BLOCK_SIZE - 1)] as number;
}

/** The ASCII block, built eagerly: most text stays in it. */
export const ASCII_FOLD: Int32Array = (() => {
  const block = buildBlock(0);
  bmpBlocks[0] = block;
  return block;
})();
