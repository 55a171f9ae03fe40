import { MicroLoraError } from '@microlora/core';
import { instantiateKernels } from './wasm-module.js';
import type { HammingKernels } from './wasm-module.js';

/** The fixed sizes an arena is laid out for. */
export interface ArenaShape {
  /** Bytes per row of a value plane: the dimension rounded up to 16. */
  rowBytes: number;
  /** Rotation length: a power of two ≥ 64. */
  rotation: number;
  /** u64 words of the stage-1 (prefix) code. */
  prefixWords: number;
  /** u64 words of the rest of the code (may be 0). */
  suffixWords: number;
  /** Coarse lists (0 = none). */
  lists: number;
}

const PAGE = 65536;
/** wasm32 memories stop at 4 GiB. */
const MAX_BYTES = 2 ** 32 - PAGE;
/** Offset 0 is left unused so that a zero pointer is never valid data. */
const BASE = 1024;

const align = (n: number): number => Math.ceil(n / 64) * 64;

/** Per-slot regions, in address order (growth moves them from last to first). */
const SLOT_REGIONS = ['dist', 'dead', 'scales', 'aux', 'cand1', 'vals', 'cand2', 'scores', 'prefix', 'suffix', 'values'] as const;
type SlotRegion = (typeof SLOT_REGIONS)[number];

/**
 * One index's WebAssembly memory, laid out as fixed scratch buffers followed by per-slot
 * regions (codes, value planes, scales, candidate buffers) sized for `capacity` slots.
 * Typed views are refreshed whenever the memory grows.
 */
export class Arena {
  readonly kernels: HammingKernels;
  readonly shape: ArenaShape;
  capacity = 0;

  // Scratch (fixed size).
  readonly flips: number;
  readonly rot: number;
  /** Query code: prefix words immediately followed by suffix words (a contiguous full code). */
  readonly qCode: number;
  /** Staging code of a vector being added (contiguous full code). */
  readonly stageCode: number;
  readonly q16: number;
  readonly qf: number;
  readonly hist: number;
  readonly histBins: number;
  readonly centroids: number;
  readonly centroidDist: number;
  readonly listIds: number;
  readonly probed: number;
  /** 256 × 8 bytes: the indices of the set bits of each byte value, for branch-free compaction. */
  readonly lanes: number;

  // Per-slot regions (offsets change when the arena grows).
  dist = 0;
  dead = 0;
  scales = 0;
  aux = 0;
  cand1 = 0;
  vals = 0;
  cand2 = 0;
  scores = 0;
  prefix = 0;
  suffix = 0;
  /** Value rows: rowBytes high bytes then rowBytes low bytes (adjacent, so the final stage finds the low half prefetched). */
  values = 0;

  u8!: Uint8Array;
  i8!: Int8Array;
  u16!: Uint16Array;
  i16!: Int16Array;
  i32!: Int32Array;
  u32!: Uint32Array;
  f32!: Float32Array;

  private readonly slotBytes: Record<SlotRegion, number>;
  private readonly scratchEnd: number;

  constructor(shape: ArenaShape, capacity: number) {
    this.shape = shape;
    this.kernels = instantiateKernels();
    const codeBytes = (shape.prefixWords + shape.suffixWords) * 8;
    let p = BASE;
    const take = (bytes: number): number => {
      const at = p;
      p += align(bytes);
      return at;
    };
    this.flips = take(shape.rotation * 4);
    this.rot = take(shape.rotation * 4);
    this.qCode = take(codeBytes);
    this.stageCode = take(codeBytes);
    this.q16 = take(shape.rowBytes * 2);
    this.qf = take(shape.rowBytes * 4);
    this.histBins = (shape.prefixWords + shape.suffixWords) * 64;
    // One spare bin: dead slots get distance prefixBits + 1, which is never selected.
    this.hist = take((this.histBins + 2) * 4);
    this.centroids = take(shape.lists * codeBytes);
    this.centroidDist = take(shape.lists * 2 + 32);
    this.listIds = take(shape.lists * 4);
    this.probed = take(shape.lists * 4);
    this.lanes = take(256 * 8);
    this.scratchEnd = p;
    this.slotBytes = {
      dist: 2,
      dead: 1,
      scales: 4,
      aux: 4,
      cand1: 4,
      vals: 2,
      cand2: 4,
      scores: 4,
      prefix: shape.prefixWords * 8,
      suffix: shape.suffixWords * 8,
      values: 2 * shape.rowBytes,
    };
    this.refreshViews();
    for (let l = 0; l < shape.lists; l++) this.i32[(this.listIds >> 2) + l] = l;
    for (let mask = 0; mask < 256; mask++) {
      let n = 0;
      for (let bit = 0; bit < 8; bit++) if ((mask >> bit) & 1) this.u8[this.lanes + mask * 8 + n++] = bit;
    }
    this.grow(capacity);
  }

  /** Bytes of WebAssembly memory per slot (codes, planes, scales and candidate buffers). */
  get bytesPerSlot(): number {
    let sum = 0;
    for (const r of SLOT_REGIONS) sum += this.slotBytes[r];
    return sum;
  }

  /** Grows to at least `capacity` slots, moving the per-slot regions; new slots are zeroed. */
  grow(capacity: number): void {
    if (capacity <= this.capacity) return;
    const old = this.capacity;
    const offsets = {} as Record<SlotRegion, number>;
    let p = this.scratchEnd;
    for (const r of SLOT_REGIONS) {
      offsets[r] = p;
      p += align(this.slotBytes[r] * capacity) + 64;
    }
    if (p > MAX_BYTES) {
      throw new MicroLoraError(
        'CAPACITY_EXCEEDED',
        `a Hamming index of ${capacity} slots needs ${p} bytes, over the 4 GiB WebAssembly memory limit; use fewer vectors per index or fewer bits`,
        { details: { capacity, bytes: p } },
      );
    }
    const memory = this.kernels.memory;
    const need = Math.ceil(p / PAGE) - memory.buffer.byteLength / PAGE;
    if (need > 0) {
      try {
        memory.grow(need);
      } catch (cause) {
        throw new MicroLoraError('CAPACITY_EXCEEDED', `could not grow the Hamming index memory to ${p} bytes for ${capacity} slots`, {
          cause,
          details: { capacity, bytes: p },
        });
      }
      this.refreshViews();
    }
    // Regions only move up, so copying from the last one down never overwrites unread data.
    for (let i = SLOT_REGIONS.length - 1; i >= 0; i--) {
      const r = SLOT_REGIONS[i] as SlotRegion;
      const from = this[r];
      const to = offsets[r];
      const used = this.slotBytes[r] * old;
      if (old > 0 && from !== to) this.u8.copyWithin(to, from, from + used);
      this.u8.fill(0, to + used, to + this.slotBytes[r] * capacity);
      this[r] = to;
    }
    this.capacity = capacity;
  }

  /** Copies every stored field of slot `from` to slot `to` (both < capacity). */
  moveSlot(from: number, to: number): void {
    this.copySlotFrom(this, from, to);
  }

  /** Copies slot `from` of `source` (an arena of the same shape) into slot `to` here. */
  copySlotFrom(source: Arena, from: number, to: number): void {
    const src = source.u8;
    const dst = this.u8;
    for (const r of ['scales', 'aux', 'prefix', 'suffix', 'values'] as const) {
      const n = this.slotBytes[r];
      const a = source[r] + from * n;
      if (src === dst) dst.copyWithin(this[r] + to * n, a, a + n);
      else dst.set(src.subarray(a, a + n), this[r] + to * n);
    }
    dst[this.dead + to] = src[source.dead + from] as number;
  }

  private refreshViews(): void {
    const buffer = this.kernels.memory.buffer;
    this.u8 = new Uint8Array(buffer);
    this.i8 = new Int8Array(buffer);
    this.u16 = new Uint16Array(buffer);
    this.i16 = new Int16Array(buffer);
    this.i32 = new Int32Array(buffer);
    this.u32 = new Uint32Array(buffer);
    this.f32 = new Float32Array(buffer);
  }
}
