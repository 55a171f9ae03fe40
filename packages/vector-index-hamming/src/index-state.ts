import { Arena } from './arena.js';
import type { ArenaShape } from './arena.js';
import { DEFAULT_SETTINGS } from './options.js';
import type { HammingSearchSettings, HammingStructure } from './options.js';
import { rotationLength, writeFlips } from './vector-encoding.js';

/** The arena layout implied by a structure. */
export function shapeOf(structure: HammingStructure): ArenaShape {
  return {
    rowBytes: Math.ceil(structure.dimension / 16) * 16,
    rotation: rotationLength(structure.dimension),
    prefixWords: structure.prefixBits / 64,
    suffixWords: (structure.bits - structure.prefixBits) / 64,
    lists: structure.lists,
  };
}

/**
 * Everything a Hamming index holds, swapped as one object by load() so that a failed load
 * leaves the index untouched.
 *
 * Slot layout: [0, tailStart) is sorted by coarse list (list l owns
 * [listStart[l], listStart[l+1])) and may contain dead slots (holes, reused by later adds
 * to the same list); [tailStart, used) holds vectors added since the last layout, densely
 * (removal there moves the last slot into the hole). Without trained lists tailStart is 0.
 */
export class IndexState {
  arena: Arena;
  /** Id of each slot (undefined for dead or unused slots). */
  slotIds: (string | undefined)[];
  readonly idToSlot = new Map<string, number>();
  used = 0;
  live = 0;
  tailStart = 0;
  listStart: Int32Array;
  holes: number[][];
  trained = false;
  /** Live count at the last training (retrain when it doubles). */
  trainedAt = 0;
  /** Search settings in effect (saved with the index). */
  settings: HammingSearchSettings = { ...DEFAULT_SETTINGS };

  constructor(
    readonly structure: HammingStructure,
    capacity: number,
  ) {
    this.arena = newArena(structure, capacity);
    this.slotIds = new Array<string | undefined>(capacity);
    this.listStart = new Int32Array(structure.lists + 1);
    this.holes = Array.from({ length: structure.lists }, () => []);
  }

  /** The coarse list owning sorted-region slot `slot` (binary search over listStart). */
  listOf(slot: number): number {
    let lo = 0;
    let hi = this.structure.lists - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.listStart[mid] as number) <= slot) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

/** A fresh arena for `structure` with the rotation's sign flips written. */
export function newArena(structure: HammingStructure, capacity: number): Arena {
  const arena = new Arena(shapeOf(structure), capacity);
  writeFlips(arena, structure.seed);
  return arena;
}
