import { MicroLoraError } from '@microlora/core';
import { assertId, assertK, checkVector, compareHits, hitFromScore } from '@microlora/vector-index';
import type { IndexItem, Metric, SearchHit, SearchOptions, VectorIndex } from '@microlora/vector-index';
import { copyFullCode, nearestList, trainCentroids } from './coarse-lists.js';
import { decodeHammingIndex, encodeHammingIndex } from './hamming-codec.js';
import { IndexState, newArena } from './index-state.js';
import { defaultProbes, resolveEf, resolveHammingOptions } from './options.js';
import { kthSmallest } from './select.js';
import type { HammingIndexOptions, HammingSearchSettings, HammingStructure } from './options.js';
import { encodeStoredCode, prepareQuery, quantizeVector, writeValues } from './vector-encoding.js';
import type { PreparedQuery, StoredValues } from './vector-encoding.js';

/** A Hamming index: the VectorIndex contract plus its layout figures. */
export interface HammingIndex extends VectorIndex {
  readonly kind: 'hamming';
  readonly exact: false;
  /** The code layout in use (a loaded index adopts the saved one). */
  readonly structure: Readonly<HammingStructure>;
  /**
   * Bytes of WebAssembly memory per slot: sign code, 16-bit values as two int8 planes,
   * scale, auxiliary number and per-search candidate buffers. Ids and the id map (JS heap)
   * come on top.
   */
  readonly bytesPerVector: number;
}

/** Minimum vectors per list before coarse lists are trained. */
const TRAIN_PER_LIST = 32;
/** Probed lists scan at least this many times the shortlist, or the search scans everything. */
const MIN_SCAN_PER_SHORTLIST = 2;
/** Stage 1 passes at least this many times the shortlist to stage 2. */
const MIN_PREFILTER_PER_SHORTLIST = 8;
/** The prefilter fraction applies as given up to this many scanned vectors… */
const PREFILTER_REFERENCE = 10_000;
/** …and shrinks as (reference / scanned)^decay beyond (measured on text: 20 % at 10k and 7 % at 100k keep recall@5 ≈ 0.96–0.97). */
const PREFILTER_DECAY = 0.45;
/** Stage 2a keeps this fraction of what stage 1 keeps… */
const MID_FRACTION = 0.25;
/** …but at least this many times the shortlist. */
const MIN_MID_PER_SHORTLIST = 4;
/** Stage 1's histogram looks at about this many distances. */
const HISTOGRAM_SAMPLE = 2048;

/**
 * Creates an approximate index that finds candidates by the Hamming distance between sign
 * codes of randomly rotated vectors, then ranks the best by int8 values and the final few by
 * 16-bit values. Float32 vectors are not kept. Metrics: cosine, inner-product and l2 — the
 * codes hold directions; under inner-product and l2 candidates are ranked by the angle the
 * codes imply combined with each vector's stored norm. Reported distances come from the
 * 16-bit values (within ~2⁻¹⁵ of the exact ones).
 */
export function createHammingIndex(options: HammingIndexOptions): HammingIndex {
  return new HammingVectorIndex(options);
}

class HammingVectorIndex implements HammingIndex {
  readonly kind = 'hamming' as const;
  readonly exact = false as const;
  readonly dimension: number;
  readonly metric: Metric;
  private readonly chosen: Partial<HammingSearchSettings>;
  private s: IndexState;
  private readonly values: StoredValues;
  private readonly prepared: PreparedQuery = { q16Scale: 0, norm: 0 };
  /** Slot ranges stage 1 scans: (first, count, list or −1) triples. */
  private ranges: Int32Array;
  private topValue = new Float64Array(32);
  private topSlot = new Int32Array(32);
  private keys = new Float64Array(0);
  private work = new Float64Array(0);
  private cosines = new Float64Array(0);
  /** Where shortlistCandidates left its shortlist (arena.cand1 or arena.cand2). */
  private shortlistAt = 0;
  /** True while a search runs a caller's filter, which must not use this index. */
  private inFilter = false;

  constructor(options: HammingIndexOptions) {
    const resolved = resolveHammingOptions(options);
    this.dimension = resolved.structure.dimension;
    this.metric = resolved.structure.metric;
    this.chosen = resolved.chosen;
    this.s = new IndexState(resolved.structure, resolved.capacity);
    this.s.settings = resolved.settings;
    this.values = { w: new Int16Array(this.dimension), scale: 0, aux: 0 };
    this.ranges = new Int32Array(3 * (resolved.structure.lists + 2));
  }

  get structure(): Readonly<HammingStructure> {
    return this.s.structure;
  }

  get size(): number {
    return this.s.live;
  }

  get capacity(): number {
    return this.s.arena.capacity;
  }

  get bytesPerVector(): number {
    return this.s.arena.bytesPerSlot;
  }

  has(id: string): boolean {
    return this.s.idToSlot.has(id);
  }

  ids(): string[] {
    return Array.from(this.s.idToSlot.keys());
  }

  add(id: string, vector: Float32Array): void {
    if (this.inFilter) throw reentered('add');
    assertId(id);
    const norm = checkVector('vector', vector, this.dimension, this.metric);
    if (this.s.idToSlot.has(id)) throw duplicate(id);
    this.insert(id, vector, norm);
    this.maintain();
  }

  addBatch(items: Iterable<IndexItem>): void {
    if (this.inFilter) throw reentered('addBatch');
    if (items === null || typeof items !== 'object' || typeof (items as { [Symbol.iterator]?: unknown })[Symbol.iterator] !== 'function') {
      throw new MicroLoraError('INVALID_ARGUMENT', 'addBatch takes an iterable of { id, vector } items');
    }
    const batch: IndexItem[] = [];
    const norms: number[] = [];
    const seen = new Set<string>();
    for (const item of items) {
      const at = batch.length;
      if (item === null || typeof item !== 'object') {
        throw new MicroLoraError('INVALID_ARGUMENT', `items[${at}] must be an object { id, vector }`, { details: { index: at } });
      }
      assertId(item.id, `items[${at}].id`);
      const norm = checkVector(`items[${at}].vector`, item.vector, this.dimension, this.metric);
      if (this.s.idToSlot.has(item.id) || seen.has(item.id)) throw duplicate(item.id);
      seen.add(item.id);
      batch.push(item);
      norms.push(norm);
    }
    if (batch.length === 0) return;
    // Grow once up front, so that nothing can fail half-way through the batch.
    this.reserve(this.s.used + batch.length);
    for (let i = 0; i < batch.length; i++) {
      const item = batch[i] as IndexItem;
      this.insert(item.id, item.vector, norms[i] as number);
    }
    this.maintain();
  }

  remove(id: string): void {
    if (this.inFilter) throw reentered('remove');
    assertId(id);
    const s = this.s;
    const slot = s.idToSlot.get(id);
    if (slot === undefined) {
      throw new MicroLoraError('NOT_FOUND', `id ${JSON.stringify(id)} is not in the index; check has(id) first`, { details: { id } });
    }
    s.idToSlot.delete(id);
    s.slotIds[slot] = undefined;
    s.live--;
    const a = s.arena;
    if (slot < s.tailStart) {
      // A hole in a coarse list: zeroed (so saved and loaded indexes scan identical codes) and reused by that list.
      const { prefixWords, suffixWords, rowBytes } = a.shape;
      a.u8[a.dead + slot] = 1;
      a.u8.fill(0, a.prefix + slot * prefixWords * 8, a.prefix + (slot + 1) * prefixWords * 8);
      a.u8.fill(0, a.suffix + slot * suffixWords * 8, a.suffix + (slot + 1) * suffixWords * 8);
      a.u8.fill(0, a.values + slot * 2 * rowBytes, a.values + (slot + 1) * 2 * rowBytes);
      a.f32[(a.scales >> 2) + slot] = 0;
      a.f32[(a.aux >> 2) + slot] = 0;
      (s.holes[s.listOf(slot)] as number[]).push(slot);
      return;
    }
    const last = s.used - 1;
    if (slot !== last) {
      a.moveSlot(last, slot);
      const moved = s.slotIds[last] as string;
      s.slotIds[slot] = moved;
      s.idToSlot.set(moved, slot);
      s.slotIds[last] = undefined;
    }
    s.used--;
  }

  search(query: Float32Array, k: number, options?: SearchOptions): SearchHit[] {
    if (this.inFilter) throw reentered('search');
    assertK(k);
    const norm = checkVector('query', query, this.dimension, this.metric);
    if (options !== undefined && (options === null || typeof options !== 'object')) {
      throw new MicroLoraError('INVALID_ARGUMENT', 'search options must be an object like { ef, filter }');
    }
    const filter = options?.filter;
    if (filter !== undefined && typeof filter !== 'function') {
      throw new MicroLoraError('INVALID_ARGUMENT', 'search option filter must be a function (id) => boolean');
    }
    const shortlist = Math.max(resolveEf(options?.ef, this.s.settings.shortlist), k);
    const s = this.s;
    if (s.live === 0) return [];
    const a = s.arena;
    prepareQuery(a, query, norm, this.metric, this.prepared);
    let m2 = this.shortlistCandidates(shortlist, filter, false);
    if (m2 < 0) m2 = this.shortlistCandidates(shortlist, filter, true);
    return this.rankCandidates(m2, k);
  }

  async save(): Promise<Uint8Array> {
    return encodeHammingIndex(this.s);
  }

  async load(bytes: Uint8Array): Promise<void> {
    if (this.inFilter) throw reentered('load');
    const state = decodeHammingIndex(bytes, { dimension: this.dimension, metric: this.metric }, this.s.arena.capacity);
    // Settings the caller chose at creation win over saved ones (probes only if the saved lists allow it).
    const chosen = { ...this.chosen };
    if (chosen.probes !== undefined && chosen.probes > Math.max(1, state.structure.lists)) delete chosen.probes;
    state.settings = { ...state.settings, ...chosen };
    this.s = state;
    if (this.ranges.length < 3 * (state.structure.lists + 2)) {
      this.ranges = new Int32Array(3 * (state.structure.lists + 2));
    }
  }

  // -------------------------------------------------------------------------------------
  // Adding

  private insert(id: string, vector: Float32Array, norm: number): void {
    const s = this.s;
    const values = this.values;
    quantizeVector(vector, norm, this.metric, values);
    let a = s.arena;
    const { prefixWords, suffixWords } = a.shape;
    encodeStoredCode(a, values.w, this.dimension, a.stageCode, a.stageCode + prefixWords * 8);
    const slot = this.takeSlot();
    a = s.arena;
    writeValues(a, slot, values, this.dimension);
    a.u8.copyWithin(a.prefix + slot * prefixWords * 8, a.stageCode, a.stageCode + prefixWords * 8);
    if (suffixWords > 0) {
      const from = a.stageCode + prefixWords * 8;
      a.u8.copyWithin(a.suffix + slot * suffixWords * 8, from, from + suffixWords * 8);
    }
    a.u8[a.dead + slot] = 0;
    s.slotIds[slot] = id;
    s.idToSlot.set(id, slot);
    s.live++;
  }

  /** A hole of the nearest list if trained and one is free, else the next tail slot. */
  private takeSlot(): number {
    const s = this.s;
    if (s.trained) {
      const hole = (s.holes[nearestList(s.arena, s.arena.stageCode, s.structure.lists)] as number[]).pop();
      if (hole !== undefined) return hole;
    }
    if (s.used === s.arena.capacity) this.reserve(s.used + 1);
    return s.used++;
  }

  /** Grows to at least `slots` (by half at a time, so growth is amortised). */
  private reserve(slots: number): void {
    const s = this.s;
    if (slots <= s.arena.capacity) return;
    const capacity = Math.max(16, slots, Math.ceil(s.arena.capacity * 1.5));
    s.arena.grow(capacity);
    s.slotIds.length = capacity;
  }

  /** Trains coarse lists when due, or files the tail into them when it grew too long. */
  private maintain(): void {
    const s = this.s;
    const lists = s.structure.lists;
    if (lists === 0) return;
    if (!s.trained) {
      if (s.live >= lists * TRAIN_PER_LIST) this.train();
      return;
    }
    if (s.live >= 2 * s.trainedAt) {
      this.train();
      return;
    }
    const tail = s.used - s.tailStart;
    if (tail > Math.max(256, s.live / 8)) {
      const assignment = new Int32Array(s.used).fill(-1);
      for (let l = 0; l < lists; l++) {
        for (let slot = s.listStart[l] as number; slot < (s.listStart[l + 1] as number); slot++) {
          if (s.slotIds[slot] !== undefined) assignment[slot] = l;
        }
      }
      for (let slot = s.tailStart; slot < s.used; slot++) {
        copyFullCode(s.arena, slot, s.arena.stageCode);
        assignment[slot] = nearestList(s.arena, s.arena.stageCode, lists);
      }
      this.relayout(assignment);
    }
  }

  private train(): void {
    const s = this.s;
    const a = s.arena;
    const lists = s.structure.lists;
    const live = new Int32Array(s.live);
    let n = 0;
    for (let slot = 0; slot < s.used; slot++) if (s.slotIds[slot] !== undefined) live[n++] = slot;
    trainCentroids(a, live, lists, (s.structure.seed ^ Math.imul(s.live, 0x9e3779b1)) >>> 0);
    const assignment = new Int32Array(s.used).fill(-1);
    for (const slot of live) {
      copyFullCode(a, slot, a.stageCode);
      assignment[slot] = nearestList(a, a.stageCode, lists);
    }
    this.relayout(assignment);
    s.trained = true;
    s.trainedAt = s.live;
  }

  /** Rebuilds the arena with slots sorted by list (`assignment[slot]`, −1 = drop); the tail becomes empty. */
  private relayout(assignment: Int32Array): void {
    const s = this.s;
    const old = s.arena;
    const lists = s.structure.lists;
    const counts = new Int32Array(lists + 1);
    for (let slot = 0; slot < assignment.length; slot++) {
      const l = assignment[slot] as number;
      if (l >= 0) counts[l + 1] = (counts[l + 1] as number) + 1;
    }
    const listStart = new Int32Array(lists + 1);
    for (let l = 0; l < lists; l++) listStart[l + 1] = (listStart[l] as number) + (counts[l + 1] as number);
    const next = listStart.slice(0, lists);
    const arena = newArena(s.structure, Math.max(old.capacity, s.live));
    const centroidBytes = lists * (old.shape.prefixWords + old.shape.suffixWords) * 8;
    arena.u8.set(old.u8.subarray(old.centroids, old.centroids + centroidBytes), arena.centroids);
    const slotIds = new Array<string | undefined>(arena.capacity);
    for (let slot = 0; slot < assignment.length; slot++) {
      const l = assignment[slot] as number;
      if (l < 0) continue;
      const to = next[l] as number;
      next[l] = to + 1;
      arena.copySlotFrom(old, slot, to);
      const id = s.slotIds[slot] as string;
      slotIds[to] = id;
      s.idToSlot.set(id, to);
    }
    s.arena = arena;
    s.slotIds = slotIds;
    s.used = s.live;
    s.tailStart = s.live;
    s.listStart = listStart;
    s.holes = Array.from({ length: lists }, () => []);
  }

  // -------------------------------------------------------------------------------------
  // Searching

  /**
   * Stages 1 and 2: prefix-code scan of every vector (or of the probed lists and the tail),
   * a sampled histogram picks the distance threshold passing ≈ prefilter of them, the full
   * code ranks those, and the best `shortlist` (that pass the filter) go to arena.cand2.
   * Returns their count, or −1 when a non-exhaustive pass found too few (search again exhaustively).
   */
  private shortlistCandidates(shortlist: number, filter: ((id: string) => boolean) | undefined, exhaustive: boolean): number {
    const s = this.s;
    const a = s.arena;
    const k = a.kernels;
    const { prefixWords, suffixWords, lists } = a.shape;
    const ranges = this.ranges;
    let nRanges = 0;
    if (s.trained && !exhaustive) {
      k.scanWords(a.centroids, prefixWords + suffixWords, 0, lists, a.qCode, a.centroidDist);
      const probes = Math.min(this.s.settings.probes ?? defaultProbes(lists), lists);
      const p = k.selectSmallest(a.centroidDist, a.listIds, lists, probes, a.histBins, a.hist, a.probed);
      for (let j = 0; j < p; j++) {
        const l = a.i32[(a.probed >> 2) + j] as number;
        ranges[3 * nRanges] = s.listStart[l] as number;
        ranges[3 * nRanges + 1] = (s.listStart[l + 1] as number) - (s.listStart[l] as number);
        ranges[3 * nRanges + 2] = l;
        nRanges++;
      }
    } else {
      ranges[0] = 0;
      ranges[1] = s.tailStart;
      ranges[2] = -1;
      nRanges = 1;
    }
    ranges[3 * nRanges] = s.tailStart;
    ranges[3 * nRanges + 1] = s.used - s.tailStart;
    ranges[3 * nRanges + 2] = -1;
    nRanges++;
    let scanned = 0;
    for (let r = 0; r < nRanges; r++) scanned += ranges[3 * r + 1] as number;
    if (s.trained && !exhaustive && scanned < MIN_SCAN_PER_SHORTLIST * shortlist && scanned < s.used) return -1;
    // Holes of coarse lists get a distance no threshold admits.
    const hidden = prefixWords * 64 + 1;
    for (let r = 0; r < nRanges; r++) {
      const first = ranges[3 * r] as number;
      const count = ranges[3 * r + 1] as number;
      if (count === 0) continue;
      if (prefixWords === 4) k.scan4(a.prefix, first, count, a.qCode, a.dist);
      else if (prefixWords === 8) k.scan8(a.prefix, first, count, a.qCode, a.dist);
      else k.scanWords(a.prefix, prefixWords, first, count, a.qCode, a.dist);
      const l = ranges[3 * r + 2] as number;
      if (l >= 0) for (const hole of s.holes[l] as number[]) a.u16[(a.dist >> 1) + hole] = hidden;
      else if (first === 0 && s.tailStart > 0) for (const list of s.holes) for (const hole of list) a.u16[(a.dist >> 1) + hole] = hidden;
    }
    const prefixBits = prefixWords * 64;
    // Past PREFILTER_REFERENCE scanned vectors the true neighbours stand out more, so a shrinking fraction suffices.
    const fraction = this.s.settings.prefilter * Math.min(1, (PREFILTER_REFERENCE / scanned) ** PREFILTER_DECAY);
    const wanted = exhaustive ? scanned : Math.min(scanned, Math.max(Math.ceil(fraction * scanned), MIN_PREFILTER_PER_SHORTLIST * shortlist));
    let threshold = prefixBits;
    if (wanted < scanned) {
      const hist = a.hist >> 2;
      a.u32.fill(0, hist, hist + prefixBits + 2);
      const step = Math.max(1, Math.floor(scanned / HISTOGRAM_SAMPLE));
      for (let r = 0; r < nRanges; r++) k.histogramSample(a.dist, ranges[3 * r] as number, ranges[3 * r + 1] as number, step, a.hist);
      const target = wanted / step;
      let below = 0;
      for (threshold = 0; threshold < prefixBits; threshold++) {
        below += a.u32[hist + threshold] as number;
        if (below >= target) break;
      }
    }
    let m1 = 0;
    for (let r = 0; r < nRanges; r++) {
      m1 = k.collectRange(a.dist, a.lanes, ranges[3 * r] as number, ranges[3 * r + 1] as number, threshold, a.cand1, m1);
    }
    // Stage 2a: the next prefixWords words narrow the candidates before the whole code is read.
    const qSuffix = a.qCode + prefixWords * 8;
    let ids = a.cand1;
    let out = a.cand2;
    let m = m1;
    const midWords = Math.min(prefixWords, suffixWords);
    const wantedMid = Math.max(Math.ceil(fraction * MID_FRACTION * scanned), MIN_MID_PER_SHORTLIST * shortlist);
    if (filter === undefined && midWords < suffixWords && m > wantedMid) {
      k.gatherHamming(a.suffix, suffixWords, midWords, ids, m, qSuffix, a.dist, a.vals);
      m = k.selectSmallest(a.vals, ids, m, wantedMid, a.histBins, a.hist, out);
      ids = out;
      out = a.cand1;
    }
    // Stage 2b: the whole code ranks the rest; the best `shortlist` go on.
    k.gatherHamming(a.suffix, suffixWords, suffixWords, ids, m, qSuffix, a.dist, a.vals);
    this.shortlistAt = out;
    const coveredAll = scanned === s.used && threshold >= prefixBits;
    let m2: number;
    if (filter === undefined && this.metric === 'cosine') {
      m2 = k.selectSmallest(a.vals, ids, m, shortlist, a.histBins, a.hist, out);
    } else {
      const keys = this.rankKeys(ids, m);
      m2 = filter === undefined ? this.selectByKeys(keys, ids, m, shortlist, out) : this.walkFiltered(keys, ids, m, shortlist, filter, out);
    }
    return m2 < shortlist && !exhaustive && !coveredAll ? -1 : m2;
  }

  /**
   * Stage-2 rank keys of the m1 candidates (smaller is better): the full-code Hamming
   * distance under cosine; under inner-product and l2 the distance's estimate from the
   * stored norm and the angle the Hamming distance implies, cos θ ≈ cos(π·h/bits).
   */
  private rankKeys(ids: number, m1: number): Float64Array {
    const a = this.s.arena;
    if (this.keys.length < m1) {
      this.keys = new Float64Array(Math.max(m1, 2 * this.keys.length));
      this.work = new Float64Array(this.keys.length);
    }
    const keys = this.keys;
    const vals = a.vals >> 1;
    const u16 = a.u16;
    if (this.metric === 'cosine') {
      for (let j = 0; j < m1; j++) keys[j] = u16[vals + j] as number;
      return keys;
    }
    const bits = a.histBins;
    if (this.cosines.length !== bits + 1) this.cosines = Float64Array.from({ length: bits + 1 }, (_, h) => Math.cos((Math.PI * h) / bits));
    const cosines = this.cosines;
    const aux = a.aux >> 2;
    const cand1 = ids >> 2;
    const f32 = a.f32;
    const i32 = a.i32;
    const queryNorm = this.prepared.norm;
    const l2 = this.metric === 'l2';
    for (let j = 0; j < m1; j++) {
      const stored = f32[aux + (i32[cand1 + j] as number)] as number;
      const cos = cosines[u16[vals + j] as number] as number;
      keys[j] = l2 ? stored - 2 * queryNorm * Math.sqrt(stored) * cos : -stored * cos;
    }
    return keys;
  }

  /** The `shortlist` candidates with the smallest keys (ties by position) into arena.cand2. */
  private selectByKeys(keys: Float64Array, ids: number, m1: number, shortlist: number, out: number): number {
    const a = this.s.arena;
    const i32 = a.i32;
    const cand1 = ids >> 2;
    const cand2 = out >> 2;
    if (shortlist >= m1) {
      i32.copyWithin(cand2, cand1, cand1 + m1);
      return m1;
    }
    const t = kthSmallest(keys, m1, shortlist - 1, this.work);
    let m2 = 0;
    for (let j = 0; j < m1; j++) if ((keys[j] as number) < t) i32[cand2 + m2++] = i32[cand1 + j] as number;
    for (let j = 0; j < m1 && m2 < shortlist; j++) if (keys[j] === t) i32[cand2 + m2++] = i32[cand1 + j] as number;
    return m2;
  }

  /** Walks candidates by key (ties by position), keeping the first `shortlist` the filter admits. */
  private walkFiltered(keys: Float64Array, ids: number, m1: number, shortlist: number, filter: (id: string) => boolean, out: number): number {
    const s = this.s;
    const a = s.arena;
    const order = Int32Array.from({ length: m1 }, (_, j) => j);
    order.sort((x, y) => (keys[x] as number) - (keys[y] as number) || x - y);
    const cand1 = ids >> 2;
    const cand2 = out >> 2;
    let m2 = 0;
    for (let j = 0; j < m1 && m2 < shortlist; j++) {
      const slot = a.i32[cand1 + (order[j] as number)] as number;
      let admitted: boolean;
      this.inFilter = true;
      try {
        admitted = filter(s.slotIds[slot] as string);
      } finally {
        this.inFilter = false;
      }
      if (admitted) a.i32[cand2 + m2++] = slot;
    }
    return m2;
  }

  /** Stages 3 and 4: int8 values pick the best `rerank`, 16-bit values score them; the top k are returned. */
  private rankCandidates(m2: number, k: number): SearchHit[] {
    const s = this.s;
    const a = s.arena;
    const kernels = a.kernels;
    const { rowBytes } = a.shape;
    const metric = this.metric;
    const scales = a.scales >> 2;
    const aux = a.aux >> 2;
    const f32 = a.f32;
    const i32 = a.i32;
    const rerank = Math.max(this.s.settings.rerank, 2 * k);
    const shortlistAt = this.shortlistAt;
    const spare = shortlistAt === a.cand1 ? a.cand2 : a.cand1;
    let final = shortlistAt;
    let r = m2;
    if (m2 > rerank) {
      kernels.dotHigh(a.values, 2 * rowBytes, rowBytes, a.q16, shortlistAt, m2, a.scores);
      if (this.topValue.length < rerank) {
        this.topValue = new Float64Array(rerank);
        this.topSlot = new Int32Array(rerank);
      }
      const topValue = this.topValue;
      const topSlot = this.topSlot;
      const l2Factor = 512 * this.prepared.q16Scale;
      let n = 0;
      const cand2 = shortlistAt >> 2;
      const scores = a.scores >> 2;
      for (let j = 0; j < m2; j++) {
        const slot = i32[cand2 + j] as number;
        const dot = i32[scores + j] as number;
        // Larger is better for every metric (l2: −(‖x‖² − 2 q·x)).
        const v =
          metric === 'cosine'
            ? dot * (f32[aux + slot] as number)
            : metric === 'inner-product'
              ? dot * (f32[scales + slot] as number)
              : l2Factor * (f32[scales + slot] as number) * dot - (f32[aux + slot] as number);
        if (n === rerank && v <= (topValue[n - 1] as number)) continue;
        let p = n < rerank ? n++ : n - 1;
        while (p > 0 && (topValue[p - 1] as number) < v) {
          topValue[p] = topValue[p - 1] as number;
          topSlot[p] = topSlot[p - 1] as number;
          p--;
        }
        topValue[p] = v;
        topSlot[p] = slot;
      }
      const to = spare >> 2;
      for (let j = 0; j < n; j++) i32[to + j] = topSlot[j] as number;
      final = spare;
      r = n;
    }
    if (metric === 'l2') kernels.l2Full(a.values, 2 * rowBytes, rowBytes, a.scales, a.qf, final, r, a.scores);
    else kernels.dotFull(a.values, 2 * rowBytes, rowBytes, a.qf, final, r, a.scores);
    const hits: SearchHit[] = new Array<SearchHit>(r);
    const base = final >> 2;
    const scores = a.scores >> 2;
    for (let j = 0; j < r; j++) {
      const slot = i32[base + j] as number;
      const raw = f32[scores + j] as number;
      const score = metric === 'cosine' ? raw * (f32[aux + slot] as number) : metric === 'inner-product' ? raw * (f32[scales + slot] as number) : raw;
      hits[j] = hitFromScore(s.slotIds[slot] as string, metric, score);
    }
    hits.sort(compareHits);
    if (hits.length > k) hits.length = k;
    return hits;
  }
}

function reentered(method: string): MicroLoraError {
  return new MicroLoraError(
    'INVALID_ARGUMENT',
    `${method}() was called from a search filter of the same index; a filter must only look at the id it is given`,
    { details: { method } },
  );
}

function duplicate(id: string): MicroLoraError {
  return new MicroLoraError('DUPLICATE_ID', `id ${JSON.stringify(id)} is already in the index; remove it first to replace its vector`, {
    details: { id },
  });
}
