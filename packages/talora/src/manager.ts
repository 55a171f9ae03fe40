import {
  FEATURES_LIMIT,
  MicroLoraError,
  assertTimestep,
  cloneLora,
  corrupt,
  type CompressedLora,
  type LoraWeights,
  type Pattern,
  type PatternInput,
  type TimestepRange,
} from '@microlora/core';
import {
  MicroLoraBank,
  type BankStats,
  type FeedbackRecord,
  type InsertOptions,
  type RetrievedPattern,
  type UsageRecord,
} from '@microlora/bank';
import { composeExact, createComposeBuffers, type ComposeBuffers, type ComposeItem, type ComposeTarget } from '@microlora/composer';
import { assertBankWeights } from './interpolation/bank-weights.js';
import { DEFAULT_BOUNDARIES, bankRange, banksForRange, checkedBankIndexAt, createBankLayout, type BankLayout } from './layout.js';
import { TALORA_FORMAT, decodeManagerFile, encodeManagerFile } from './manager-codec.js';
import {
  resolveComposer,
  resolveInterpolation,
  resolveShape,
  type ResolvedComposer,
  type ResolvedInterpolation,
  type TaloraManagerOptions,
  type TaloraRuntimeOptions,
  type VectorIndex,
} from './options.js';

export interface TaloraInsertResult {
  id: string;
  /** The banks that now hold the pattern, ascending (one shared int8 copy of its weights). */
  banks: readonly number[];
  /** Patterns evicted to make room (each from every bank that held it). */
  evictedIds: string[];
  /** Whether a pattern with this id was replaced. */
  replaced: boolean;
}

/** One pattern that went into a composite. */
export interface AdapterSource {
  id: string;
  /** The banks it was retrieved from (a pattern spanning banks may come from several). */
  banks: number[];
  /** Index similarity in [0, 1] and blended score, from the first bank it came from. */
  similarity: number;
  score: number;
  /**
   * Its weight in the composite, ΔW = Σ weight · ΔW_pattern (bank weight × composer
   * weight, summed over the banks it came from). NaN when the composer is approximate.
   */
  weight: number;
}

export interface AdapterWithSources {
  /** A copy with its own buffers (not a view). */
  adapter: LoraWeights;
  sources: AdapterSource[];
  /** β per bank at this timestep (a copy). */
  bankWeights: Float64Array;
}

export interface TaloraStats {
  /** Distinct patterns (a pattern stored in several banks counts once). */
  patterns: number;
  /** Σ bank sizes: a pattern spanning m banks counts m times. */
  placements: number;
  /** Patterns held by more than one bank. */
  spanning: number;
  /** Adapters composed (getAdapter and its variants). */
  adapters: number;
  /** Patterns evicted (each once, however many banks held it). */
  evictions: number;
  /**
   * Per-bank figures from MicroLoraBank.stats(). A spanning pattern's weights are one
   * shared int8 copy in memory but appear in the loraBytes of every bank holding it
   * (until a save/load round trip, after which each bank decodes its own copy).
   */
  banks: BankStats[];
}

export interface TaloraLoadOptions extends TaloraRuntimeOptions {
  /** Makes the EMPTY index of one bank, of the kind it was saved with. Default: flat (only for banks saved with one). */
  createIndex?: (bank: number, range: TimestepRange) => VectorIndex;
}

const NO_HITS: readonly RetrievedPattern[] = Object.freeze([]);
/** Module-private: lets load() hand already-loaded banks to the constructor. */
const LOADED = Symbol('loaded TALoRA banks');
interface LoadedState {
  layout: BankLayout;
  shape: { inFeatures: number; outFeatures: number } | undefined;
  banks: (manager: TaloraManager) => MicroLoraBank[];
}
type InternalOptions = TaloraManagerOptions & { [LOADED]?: LoadedState };

/**
 * Timestep-aware LoRA banks (TALoRA): one MicroLoraBank per timestep range, and
 * per request one adapter composed exactly as ΔW = Σ_b β_b · ΔW_b, where the
 * interpolation strategy gives the bank weights β at timestep t and ΔW_b is the
 * composer's composite of bank b's retrieval. Composition writes into buffers the
 * manager owns, so getAdapter's result is a VIEW valid until the next getAdapter
 * call on this manager (use getAdapterCopy to keep one).
 *
 * A pattern is stored in every bank whose range overlaps its timestep range over a
 * positive length, sharing one int8 copy of its weights; the manager keeps those
 * copies consistent: usage and feedback go to every copy, removal and eviction
 * take the pattern out of every bank.
 */
export class TaloraManager {
  readonly layout: BankLayout;
  private readonly bankList: MicroLoraBank[];
  private interpolationSetting: ResolvedInterpolation;
  private composerSetting: ResolvedComposer;
  private readonly onEvict: ((pattern: Pattern) => void) | undefined;
  /** Pattern id → the banks holding it, ascending. */
  private readonly membership = new Map<string, readonly number[]>();
  private shape: { inFeatures: number; outFeatures: number } | undefined;
  private adapterCount = 0;
  private evictionCount = 0;
  /** Bumped by every change of the set of patterns; save() uses it to detect concurrent changes. */
  private structureVersion = 0;
  /** Ids evicted during the insert in progress. */
  private evictionLog: string[] | undefined;
  // Hot-path scratch, reused across requests.
  private readonly bankWeights: Float64Array;
  private readonly hitsPerBank: (readonly RetrievedPattern[])[];
  private readonly items: RetrievedPattern[] = [];
  private itemWeights = new Float64Array(16);
  private weightViews: Float64Array[] = [];
  private target: ComposeBuffers | undefined;

  constructor(options: TaloraManagerOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new MicroLoraError('INVALID_ARGUMENT', 'TaloraManager options must be an object { bank: { maxPatterns }, boundaries?, interpolation?, composer? }');
    }
    const loaded = (options as InternalOptions)[LOADED];
    this.interpolationSetting = resolveInterpolation(options.interpolation);
    this.composerSetting = resolveComposer(options.composer, options.backend);
    if (options.onEvict !== undefined && typeof options.onEvict !== 'function') {
      throw new MicroLoraError('INVALID_ARGUMENT', 'onEvict must be a function');
    }
    this.onEvict = options.onEvict;
    if (loaded !== undefined) {
      this.layout = loaded.layout;
      this.shape = loaded.shape;
      this.bankList = loaded.banks(this);
    } else {
      this.layout = createBankLayout(options.boundaries ?? DEFAULT_BOUNDARIES);
      this.shape = resolveShape(options.inFeatures, options.outFeatures);
      this.bankList = this.createBanks(options);
    }
    this.bankWeights = new Float64Array(this.layout.bankCount);
    this.hitsPerBank = new Array<readonly RetrievedPattern[]>(this.layout.bankCount).fill(NO_HITS);
  }

  private createBanks(options: TaloraManagerOptions): MicroLoraBank[] {
    const bank = options.bank;
    if (typeof bank !== 'object' || bank === null) {
      throw new MicroLoraError('INVALID_ARGUMENT', 'options.bank must be an object with at least maxPatterns (per bank)');
    }
    const { createIndex, ...bankOptions } = bank;
    if (createIndex !== undefined && typeof createIndex !== 'function') {
      throw new MicroLoraError('INVALID_ARGUMENT', 'bank.createIndex must be a function (bank, range) => VectorIndex');
    }
    const banks: MicroLoraBank[] = [];
    for (let i = 0; i < this.layout.bankCount; i++) {
      const range = bankRange(this.layout, i);
      banks.push(
        new MicroLoraBank({
          ...bankOptions,
          timestepRange: range,
          timestepPolicy: 'overlap',
          ...(createIndex === undefined ? {} : { index: createIndex(i, range) }),
          ...(options.clock === undefined ? {} : { clock: options.clock }),
          onEvict: (pattern) => this.handleEviction(i, pattern),
        }),
      );
    }
    return banks;
  }

  /** The banks, in timestep order (read them; change patterns through the manager). */
  get banks(): readonly MicroLoraBank[] {
    return this.bankList;
  }
  get bankCount(): number {
    return this.layout.bankCount;
  }
  get boundaries(): readonly number[] {
    return this.layout.boundaries;
  }
  /** Distinct patterns stored. */
  get size(): number {
    return this.membership.size;
  }
  /** The interpolation in use: its strategy, options and k. */
  get interpolation(): ResolvedInterpolation {
    return this.interpolationSetting;
  }
  get composer(): ResolvedComposer {
    return this.composerSetting;
  }
  /** The adapter shape, once known (from the options or the first pattern). */
  get adapterShape(): { readonly inFeatures: number; readonly outFeatures: number } | undefined {
    return this.shape;
  }

  /** Switches the interpolation for later requests (validated first; nothing changes on error). */
  setInterpolation(setting: TaloraManagerOptions['interpolation']): void {
    this.interpolationSetting = resolveInterpolation(setting);
  }

  /** The bank holding timestep t (an inner boundary belongs to the upper bank, 1 to the last). */
  bankIndexAt(t: number): number {
    return checkedBankIndexAt(this.layout, t);
  }

  /** The banks a pattern with this timestep range is stored in. */
  banksForRange(range: TimestepRange): number[] {
    return banksForRange(this.layout, range);
  }

  /** β per bank at timestep t under the current interpolation (a new array). */
  bankWeightsAt(t: number): Float64Array {
    assertTimestep(t, 't');
    const out = new Float64Array(this.layout.bankCount);
    const { strategy, options } = this.interpolationSetting;
    strategy.bankWeightsInto(t, this.layout, options, out);
    assertBankWeights(out, out.length, `interpolation strategy "${strategy.name}"`);
    return out;
  }

  /**
   * Stores a pattern in every bank its timestep range overlaps over a positive
   * length (see banksForRange), all sharing one int8 copy of the weights: the
   * first bank validates and compresses, the others receive its compressed copy.
   * Ids are unique across the manager: DUPLICATE_ID unless `replace`, which
   * replaces the pattern everywhere (also if its range moved). Every pattern must
   * have the manager's adapter shape (DIMENSION_MISMATCH). A full bank evicts its
   * least recently used pattern, from every bank holding it.
   * On a validation error nothing changes.
   */
  insert(input: PatternInput, options: InsertOptions = {}): TaloraInsertResult {
    if (typeof input !== 'object' || input === null) {
      throw new MicroLoraError('INVALID_ARGUMENT', 'insert() needs a PatternInput object { id, embedding, lora, timestepRange }');
    }
    if (typeof options !== 'object' || options === null) {
      throw new MicroLoraError('INVALID_ARGUMENT', 'insert options must be an object { replace?: boolean }');
    }
    const replace = options.replace ?? false;
    if (typeof replace !== 'boolean') throw new MicroLoraError('INVALID_ARGUMENT', 'options.replace must be a boolean');
    const id = input.id;
    if (typeof id !== 'string' || id.length === 0) {
      throw new MicroLoraError('INVALID_ARGUMENT', `pattern.id must be a non-empty string, got ${typeof id === 'string' ? '""' : typeof id}`);
    }
    const targets = banksForRange(this.layout, input.timestepRange);
    const previous = this.membership.get(id);
    if (previous !== undefined && !replace) {
      throw new MicroLoraError(
        'DUPLICATE_ID',
        `a pattern with id ${JSON.stringify(id)} is already stored (banks ${previous.join(', ')}); pass { replace: true } or remove() it first`,
        { details: { id, banks: previous } },
      );
    }
    this.checkShape(input.lora);
    const evicted: string[] = [];
    this.evictionLog = evicted;
    try {
      const first = targets[0] as number;
      const firstBank = this.bankList[first] as MicroLoraBank;
      firstBank.insert(input, { replace: previous?.includes(first) ?? false });
      // Validated and compressed once; the other banks share this copy.
      const stored = firstBank.get(id) as Pattern;
      const shared: PatternInput = {
        ...input,
        lora: stored.lora,
        // The same creation time in every copy; other metrics as given, so running means start alike.
        metrics: { ...input.metrics, createdAt: stored.metrics.createdAt, lastUsed: stored.metrics.lastUsed },
      };
      const done = [first];
      try {
        for (let j = 1; j < targets.length; j++) {
          const b = targets[j] as number;
          (this.bankList[b] as MicroLoraBank).insert(shared, { replace: previous?.includes(b) ?? false });
          done.push(b);
        }
      } catch (cause) {
        // Only an index failure can get here (the input was valid for the first bank): take the id out everywhere.
        for (const b of new Set([...done, ...(previous ?? [])])) {
          const bank = this.bankList[b] as MicroLoraBank;
          if (bank.has(id)) bank.remove(id);
        }
        this.membership.delete(id);
        this.structureVersion++;
        throw cause;
      }
      if (previous !== undefined) {
        for (const b of previous) {
          const bank = this.bankList[b] as MicroLoraBank;
          if (!targets.includes(b) && bank.has(id)) bank.remove(id);
        }
      }
      this.membership.set(id, Object.freeze(targets));
      this.structureVersion++;
    } finally {
      this.evictionLog = undefined;
    }
    this.shape ??= { inFeatures: input.lora.inFeatures, outFeatures: input.lora.outFeatures };
    return { id, banks: targets, evictedIds: evicted, replaced: previous !== undefined };
  }

  /** Removes a pattern from every bank holding it; NOT_FOUND if absent. */
  remove(id: string): void {
    const holders = this.require(id);
    for (const b of holders) (this.bankList[b] as MicroLoraBank).remove(id);
    this.membership.delete(id);
    this.structureVersion++;
  }

  has(id: string): boolean {
    return this.membership.has(id);
  }

  /** The stored pattern (the first holding bank's object; treat as read-only), or undefined. */
  get(id: string): Pattern | undefined {
    const holders = this.membership.get(id);
    return holders === undefined ? undefined : (this.bankList[holders[0] as number] as MicroLoraBank).get(id);
  }

  /** The banks holding a pattern, ascending ([] if absent). */
  banksOf(id: string): readonly number[] {
    return this.membership.get(id) ?? [];
  }

  /** Every distinct pattern (bank order, then each bank's LRU order). */
  patterns(): Pattern[] {
    const out: Pattern[] = [];
    for (let b = 0; b < this.bankList.length; b++) {
      for (const p of (this.bankList[b] as MicroLoraBank).patterns()) {
        if (this.membership.get(p.id)?.[0] === b) out.push(p);
      }
    }
    return out;
  }

  /** Records a use in every bank holding the pattern (metrics and LRU stay identical across copies). */
  recordUsage(id: string, usage: UsageRecord = {}): void {
    for (const b of this.require(id)) (this.bankList[b] as MicroLoraBank).recordUsage(id, usage);
  }

  /** Folds feedback into the metrics of every copy of the pattern. */
  updateMetrics(id: string, feedback: FeedbackRecord): void {
    for (const b of this.require(id)) (this.bankList[b] as MicroLoraBank).updateMetrics(id, feedback);
  }

  /**
   * The adapter for a query embedding at timestep t ∈ [0, 1]: ΔW = Σ_b β_b·ΔW_b,
   * composed exactly by rank stacking into the manager's buffers. The result's
   * a/b are VIEWS valid until the next getAdapter call on this manager.
   * An empty result (no pattern found) is the rank-1 zero adapter.
   * t NaN → NON_FINITE, outside [0, 1] → OUT_OF_RANGE; embedding errors come from the banks.
   */
  getAdapter(embedding: Float32Array, t: number): LoraWeights {
    return this.composeAdapter(embedding, t, undefined);
  }

  /** Like getAdapter, with buffers of its own that later calls do not overwrite. */
  getAdapterCopy(embedding: Float32Array, t: number): LoraWeights {
    return cloneLora(this.composeAdapter(embedding, t, undefined));
  }

  /** Like getAdapterCopy, also reporting which patterns went in with which weight (for feedback and debugging). */
  getAdapterWithSources(embedding: Float32Array, t: number): AdapterWithSources {
    const sources: AdapterSource[] = [];
    const adapter = cloneLora(this.composeAdapter(embedding, t, sources));
    return { adapter, sources, bankWeights: this.bankWeights.slice() };
  }

  stats(): TaloraStats {
    let placements = 0;
    for (const bank of this.bankList) placements += bank.size;
    let spanning = 0;
    for (const holders of this.membership.values()) if (holders.length > 1) spanning++;
    return {
      patterns: this.membership.size,
      placements,
      spanning,
      adapters: this.adapterCount,
      evictions: this.evictionCount,
      banks: this.bankList.map((b) => b.stats()),
    };
  }

  /**
   * Every bank (each its own checksummed MicroLoraBank file, index included), the
   * boundaries and the adapter shape in one container with a CRC-32 (format in
   * manager-codec.ts). Interpolation, composer and backend are not saved: give
   * them to load(). Patterns inserted or removed while a bank saves make it start
   * over (at most 5 times).
   */
  async save(): Promise<Uint8Array> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const version = this.structureVersion;
      const banks: Uint8Array[] = [];
      for (const bank of this.bankList) banks.push(await bank.save());
      if (version === this.structureVersion) return encodeManagerFile(this.layout, this.shape, banks);
    }
    throw new MicroLoraError('LIMIT_EXCEEDED', 'patterns kept changing while the TALoRA manager was saved (5 attempts); save when inserts pause');
  }

  /**
   * A manager from save() bytes. Each bank is restored by MicroLoraBank.load (give
   * `createIndex` for banks saved with a non-flat index). Truncated or corrupted
   * bytes → CORRUPT_DATA (also when the banks disagree with the boundaries or with
   * each other about a pattern), another version → UNSUPPORTED_VERSION.
   */
  static async load(bytes: Uint8Array, options: TaloraLoadOptions = {}): Promise<TaloraManager> {
    if (typeof options !== 'object' || options === null) {
      throw new MicroLoraError('INVALID_ARGUMENT', 'load options must be an object');
    }
    const { createIndex, ...runtime } = options;
    if (createIndex !== undefined && typeof createIndex !== 'function') {
      throw new MicroLoraError('INVALID_ARGUMENT', 'createIndex must be a function (bank, range) => VectorIndex');
    }
    const contents = decodeManagerFile(bytes);
    const { layout, shape } = contents;
    if (shape !== undefined && (shape.inFeatures > FEATURES_LIMIT || shape.outFeatures > FEATURES_LIMIT)) {
      throw corrupt(TALORA_FORMAT.what, `adapter shape ${shape.inFeatures} × ${shape.outFeatures} is out of range`);
    }
    const evictionTarget: { manager?: TaloraManager } = {};
    const banks: MicroLoraBank[] = [];
    for (let i = 0; i < layout.bankCount; i++) {
      const range = bankRange(layout, i);
      const bank = await MicroLoraBank.load(contents.banks[i] as Uint8Array, {
        ...(createIndex === undefined ? {} : { index: createIndex(i, range) }),
        ...(runtime.clock === undefined ? {} : { clock: runtime.clock }),
        onEvict: (pattern) => evictionTarget.manager?.handleEviction(i, pattern),
      });
      if (bank.timestepRange[0] !== range[0] || bank.timestepRange[1] !== range[1]) {
        throw corrupt(
          TALORA_FORMAT.what,
          `bank ${i} covers [${bank.timestepRange[0]}, ${bank.timestepRange[1]}] but the boundaries say [${range[0]}, ${range[1]}]`,
        );
      }
      banks.push(bank);
    }
    const loaded: LoadedState = { layout, shape: restoredShape(banks, shape), banks: () => banks };
    const manager = new TaloraManager({ ...runtime, bank: { maxPatterns: 1 }, [LOADED]: loaded } as InternalOptions);
    manager.restoreMembership();
    evictionTarget.manager = manager;
    return manager;
  }

  /** Rebuilds id → banks from loaded banks, checking that every pattern sits exactly in the banks its range maps to. */
  private restoreMembership(): void {
    const found = new Map<string, { banks: number[]; range: TimestepRange; lora: CompressedLora }>();
    this.bankList.forEach((bank, b) => {
      for (const p of bank.patterns()) {
        const entry = found.get(p.id);
        if (entry === undefined) {
          found.set(p.id, { banks: [b], range: p.timestepRange, lora: p.lora });
          continue;
        }
        if (entry.range[0] !== p.timestepRange[0] || entry.range[1] !== p.timestepRange[1]) {
          throw corrupt(TALORA_FORMAT.what, `pattern ${JSON.stringify(p.id)} has different timestep ranges in banks ${entry.banks[0]} and ${b}`);
        }
        entry.banks.push(b);
      }
    });
    for (const [id, entry] of found) {
      const expected = banksForRange(this.layout, entry.range);
      if (expected.length !== entry.banks.length || expected.some((b, i) => entry.banks[i] !== b)) {
        throw corrupt(
          TALORA_FORMAT.what,
          `pattern ${JSON.stringify(id)} with range [${entry.range[0]}, ${entry.range[1]}] is in banks ${entry.banks.join(', ')} but belongs in ${expected.join(', ')}`,
        );
      }
      this.membership.set(id, Object.freeze(entry.banks));
    }
  }

  /** Called by a bank after it evicted `pattern`: the other copies go too, so a pattern is in all its banks or none. */
  private handleEviction(bank: number, pattern: Pattern): void {
    const id = pattern.id;
    const holders = this.membership.get(id);
    if (holders === undefined) return;
    for (const b of holders) {
      const other = this.bankList[b] as MicroLoraBank;
      if (b !== bank && other.has(id)) other.remove(id);
    }
    this.membership.delete(id);
    this.structureVersion++;
    this.evictionCount++;
    this.evictionLog?.push(id);
    this.onEvict?.(pattern);
  }

  private require(id: string): readonly number[] {
    const holders = this.membership.get(id);
    if (holders === undefined) {
      if (typeof id !== 'string' || id.length === 0) {
        throw new MicroLoraError('INVALID_ARGUMENT', `id must be a non-empty string, got ${typeof id === 'string' ? '""' : typeof id}`);
      }
      throw new MicroLoraError('NOT_FOUND', `no pattern with id ${JSON.stringify(id)} in this manager; check has(id) first`, {
        details: { id },
      });
    }
    return holders;
  }

  private checkShape(lora: unknown): void {
    const l = lora as { inFeatures?: unknown; outFeatures?: unknown } | null;
    if (typeof l !== 'object' || l === null) {
      throw new MicroLoraError('INVALID_ARGUMENT', 'pattern.lora must be a CompressedLora or LoraWeights object');
    }
    const shape = this.shape;
    if (shape !== undefined && (l.inFeatures !== shape.inFeatures || l.outFeatures !== shape.outFeatures)) {
      throw new MicroLoraError(
        'DIMENSION_MISMATCH',
        `pattern.lora is ${String(l.inFeatures)} → ${String(l.outFeatures)} but this manager's adapters are ${shape.inFeatures} → ${shape.outFeatures}`,
        { details: { inFeatures: l.inFeatures, outFeatures: l.outFeatures, expected: shape } },
      );
    }
  }

  /** The compose target, grown (never shrunk) to hold `rank` rows. */
  private targetFor(rank: number): ComposeTarget {
    const shape = this.shape;
    if (shape === undefined) {
      throw new MicroLoraError(
        'INVALID_ARGUMENT',
        'this manager holds no pattern and has no adapter shape, so it cannot build even the zero adapter; pass inFeatures/outFeatures to the constructor or insert a pattern first',
      );
    }
    const target = this.target;
    if (target !== undefined && target.maxRank >= rank) return target;
    const initial = this.interpolationSetting.k * (this.bankList[0] as MicroLoraBank).maxRank;
    const maxRank = Math.max(rank, initial, 2 * (target?.maxRank ?? 0));
    // With a backend that has an arena (wasm), the buffers live in its memory: decompression
    // writes in place and the composite applies with no copy.
    const backend = this.composerSetting.options.backend;
    target?.dispose();
    this.target = createComposeBuffers({
      maxRank,
      inFeatures: shape.inFeatures,
      outFeatures: shape.outFeatures,
      ...(backend === undefined ? {} : { backend }),
    });
    return this.target;
  }

  /** A Float64Array view of exactly `length` item weights (cached per length). */
  private weightsOfLength(length: number): Float64Array {
    let view = this.weightViews[length];
    if (view === undefined || view.buffer !== this.itemWeights.buffer) {
      view = this.itemWeights.subarray(0, length);
      this.weightViews[length] = view;
    }
    return view;
  }

  private composeAdapter(embedding: Float32Array, t: number, sources: AdapterSource[] | undefined): LoraWeights {
    assertTimestep(t, 't');
    const n = this.layout.bankCount;
    const beta = this.bankWeights;
    const { strategy, options, k } = this.interpolationSetting;
    strategy.bankWeightsInto(t, this.layout, options, beta);
    assertBankWeights(beta, n, `interpolation strategy "${strategy.name}"`);
    const hitsPerBank = this.hitsPerBank;
    let searched = 0;
    let only = -1;
    for (let b = 0; b < n; b++) {
      if (beta[b] === 0) {
        hitsPerBank[b] = NO_HITS;
        continue;
      }
      hitsPerBank[b] = (this.bankList[b] as MicroLoraBank).retrieve(embedding, k);
      searched++;
      only = b;
    }
    this.adapterCount++;
    try {
      const composer = this.composerSetting;
      if (searched === 1 && beta[only] === 1 && composer.strategy.composeInto !== undefined) {
        return this.composeOneBank(only, sources);
      }
      return composer.strategy.exact ? this.composeStacked(sources) : this.composeApproximate(sources);
    } finally {
      // Do not keep retrieved (possibly since evicted) patterns alive until the next request.
      for (let b = 0; b < n; b++) hitsPerBank[b] = NO_HITS;
      this.items.length = 0;
    }
  }

  /** One bank with β = 1: the composer writes straight into the target. */
  private composeOneBank(bank: number, sources: AdapterSource[] | undefined): LoraWeights {
    const hits = this.hitsPerBank[bank] as readonly RetrievedPattern[];
    const composer = this.composerSetting;
    let rank = 0;
    for (const hit of hits) rank += hit.lora.rank;
    const adapter = (composer.strategy.composeInto as NonNullable<typeof composer.strategy.composeInto>)(
      hits,
      this.targetFor(rank),
      composer.options,
    );
    if (sources !== undefined && hits.length > 0) {
      const weights = composer.strategy.weights?.(hits, composer.options);
      hits.forEach((hit, i) => {
        const weight = composer.strategy.exact ? (weights?.[i] as number) : Number.NaN;
        sources.push({ id: hit.id, banks: [bank], similarity: hit.similarity, score: hit.score, weight });
      });
    }
    return adapter;
  }

  /**
   * Exact composers: one rank-stacked composite of every retrieved pattern with weight
   * β_b·w_{b,i}; a pattern retrieved from several banks (a spanning pattern, same id) is
   * stacked once with its weights summed.
   */
  private composeStacked(sources: AdapterSource[] | undefined): LoraWeights {
    const composer = this.composerSetting;
    const strategy = composer.strategy;
    const beta = this.bankWeights;
    const items = this.items;
    let count = 0;
    for (let b = 0; b < this.layout.bankCount; b++) {
      const hits = this.hitsPerBank[b] as readonly RetrievedPattern[];
      if (hits.length === 0) continue;
      const within = (strategy.weights as NonNullable<typeof strategy.weights>)(hits, composer.options);
      if (this.itemWeights.length < count + hits.length) this.growItemWeights(count + hits.length);
      const weights = this.itemWeights;
      for (let i = 0; i < hits.length; i++) {
        const hit = hits[i] as RetrievedPattern;
        const weight = (beta[b] as number) * (within[i] as number);
        let j = 0;
        while (j < count && (items[j] as RetrievedPattern).id !== hit.id) j++;
        if (j < count) {
          weights[j] = (weights[j] as number) + weight;
          if (sources !== undefined) {
            const source = sources[j] as AdapterSource;
            source.banks.push(b);
            source.weight += weight;
          }
          continue;
        }
        items[count] = hit;
        weights[count] = weight;
        count++;
        sources?.push({ id: hit.id, banks: [b], similarity: hit.similarity, score: hit.score, weight });
      }
    }
    items.length = count;
    const weights = this.weightsOfLength(count);
    let rank = 0;
    for (let i = 0; i < count; i++) if (weights[i] !== 0) rank += (items[i] as ComposeItem).lora.rank;
    const target = this.targetFor(rank);
    const backend = composer.options.backend;
    return composeExact(items, weights, backend === undefined ? { target } : { target, backend });
  }

  /** Approximate composers: each bank composed on its own (allocating), then the bank composites stacked with β. */
  private composeApproximate(sources: AdapterSource[] | undefined): LoraWeights {
    const composer = this.composerSetting;
    const beta = this.bankWeights;
    const composites: ComposeItem[] = [];
    const weights: number[] = [];
    let rank = 0;
    for (let b = 0; b < this.layout.bankCount; b++) {
      const hits = this.hitsPerBank[b] as readonly RetrievedPattern[];
      if (hits.length === 0) continue;
      const composite = composer.strategy.compose(hits, { ...composer.options, ...this.shape });
      composites.push({ lora: composite, score: beta[b] as number });
      weights.push(beta[b] as number);
      rank += composite.rank;
      for (const hit of hits) {
        sources?.push({ id: hit.id, banks: [b], similarity: hit.similarity, score: hit.score, weight: Number.NaN });
      }
    }
    const target = this.targetFor(rank);
    const backend = composer.options.backend;
    return composeExact(composites, weights, backend === undefined ? { target } : { target, backend });
  }

  private growItemWeights(size: number): void {
    const next = new Float64Array(Math.max(size, 2 * this.itemWeights.length));
    next.set(this.itemWeights);
    this.itemWeights = next;
    this.weightViews = [];
  }
}

/** The saved shape, or the loaded patterns' shape; every pattern must agree. */
function restoredShape(
  banks: readonly MicroLoraBank[],
  saved: { inFeatures: number; outFeatures: number } | undefined,
): { inFeatures: number; outFeatures: number } | undefined {
  let shape = saved;
  for (const bank of banks) {
    for (const p of bank.patterns()) {
      shape ??= { inFeatures: p.lora.inFeatures, outFeatures: p.lora.outFeatures };
      if (p.lora.inFeatures !== shape.inFeatures || p.lora.outFeatures !== shape.outFeatures) {
        throw corrupt(
          TALORA_FORMAT.what,
          `pattern ${JSON.stringify(p.id)} is ${p.lora.inFeatures} → ${p.lora.outFeatures} but the manager's adapters are ${shape.inFeatures} → ${shape.outFeatures}`,
        );
      }
    }
  }
  return shape;
}

