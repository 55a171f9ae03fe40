import type { CompressedLora, QuantScheme, QuantizedTensor } from '@microlora/core';
import type { ArenaBlock } from './arena.js';

interface StagedTensor {
  data: Int8Array;
  scales: Float32Array;
  zeroPoints: Int16Array | null;
  groupSize: number;
}

interface StagedLora {
  scheme: QuantScheme;
  rank: number;
  inFeatures: number;
  outFeatures: number;
  alpha: number;
  layerMask: bigint;
  a: StagedTensor;
  b: StagedTensor;
}

interface StagedView {
  readonly groupSize: number;
  readonly view: Int8Array;
}

const EMPTY_I8 = new Int8Array(0);
const EMPTY_F32 = new Float32Array(0);

function emptyTensor(): StagedTensor {
  return { data: EMPTY_I8, scales: EMPTY_F32, zeroPoints: null, groupSize: 1 };
}

/**
 * Copies an int8 adapter's data into the backend's arena before it is dequantised, so every
 * dequantizeI8 call reads and writes backend memory only: the backend stages nothing, and so
 * allocates nothing (a memory growth mid-compose would detach the target's views).
 * One adapter at a time: A's data at offset 0, Bᵀ's at `bOffset`.
 */
export class Int8Staging {
  private current: Int8Array | undefined;
  /**
   * Arena views by (rank, factor), one per group size: stable objects, so the per-array view
   * caches of decompressInto hit (a view per group size, so mixed schemes do not evict each other).
   */
  private slots: StagedView[][] = [];
  private readonly staged: StagedLora = {
    scheme: 'per-row',
    rank: 1,
    inFeatures: 1,
    outFeatures: 1,
    alpha: 1,
    layerMask: 0n,
    a: emptyTensor(),
    b: emptyTensor(),
  };

  constructor(
    private readonly block: ArenaBlock<Int8Array>,
    private readonly bOffset: number,
  ) {}

  /**
   * The adapter with its int8 data in the arena. The returned object is reused by the next
   * call: decompress it before staging another adapter.
   */
  stage(lora: CompressedLora): CompressedLora {
    const array = this.block.array; // re-read: the memory may have grown since the last compose
    if (array !== this.current) {
      this.current = array;
      this.slots = [];
    }
    const s = this.staged;
    s.scheme = lora.scheme;
    s.rank = lora.rank;
    s.inFeatures = lora.inFeatures;
    s.outFeatures = lora.outFeatures;
    s.alpha = lora.alpha;
    s.layerMask = lora.layerMask;
    this.copy(s.a, lora.a, array, 0, lora.rank);
    this.copy(s.b, lora.b, array, 1, lora.rank);
    return s;
  }

  private copy(into: StagedTensor, from: QuantizedTensor, array: Int8Array, factor: 0 | 1, rank: number): void {
    const groupSize = from.groupSize;
    const slot = (this.slots[2 * rank + factor] ??= []);
    let view: Int8Array | undefined;
    for (const staged of slot) if (staged.groupSize === groupSize) view = staged.view;
    if (view === undefined) {
      const start = factor === 0 ? 0 : this.bOffset;
      view = array.subarray(start, start + from.data.length);
      slot.push({ groupSize, view });
    }
    view.set(from.data);
    into.data = view;
    into.scales = from.scales;
    into.zeroPoints = from.zeroPoints;
    into.groupSize = from.groupSize;
  }
}
