import { corrupt } from '@microlora/core';
import { duplicateIdError, unknownIdError } from './index-arguments.js';
import type { LabelledIds } from './labelled-ids.js';

/**
 * The string id ↔ numeric label map of an adapter over a library that knows points by
 * integer labels (hnswlib and its kin). remove() keeps the label on a free list and the
 * next add() reuses it before minting a new one, so a library that deletes by marking
 * (the point keeps its slot) never leaks slots. Labels are minted from 0 upwards.
 */
export class LabelMap {
  private readonly labelById = new Map<string, number>();
  private readonly idByLabel = new Map<number, string>();
  /** Labels of removed points, reused last-freed first. */
  private readonly free: number[] = [];
  /** Next never-used label. */
  private next = 0;

  /**
   * The map of a saved index: `saved` lists the live entries and `slotLabels` every label
   * that holds a slot in the loaded library index (live or deleted). Slot labels without an
   * id become reusable. CORRUPT_DATA (naming `what`) when a saved label has no slot or an
   * id or label is listed twice.
   */
  static restore(saved: LabelledIds, slotLabels: Iterable<number>, what: string): LabelMap {
    const map = new LabelMap();
    const slots = new Set(slotLabels);
    if (saved.ids.length !== saved.labels.length) {
      throw corrupt(what, `${saved.ids.length} ids but ${saved.labels.length} labels`);
    }
    for (let i = 0; i < saved.ids.length; i++) {
      const id = saved.ids[i] as string;
      const label = saved.labels[i] as number;
      if (!slots.has(label)) throw corrupt(what, `label ${label} is not in the graph`);
      if (map.labelById.has(id)) throw corrupt(what, `id ${JSON.stringify(id)} appears twice`);
      if (map.idByLabel.has(label)) throw corrupt(what, `label ${label} appears twice`);
      map.bind(id, label);
    }
    for (const label of slots) {
      if (!map.idByLabel.has(label)) map.free.push(label);
      map.next = Math.max(map.next, label + 1);
    }
    return map;
  }

  /** Number of live ids. */
  get size(): number {
    return this.labelById.size;
  }

  /** Labels freed by remove() and not reused yet: that many adds need no new slot. */
  get reusable(): number {
    return this.free.length;
  }

  has(id: string): boolean {
    return this.labelById.has(id);
  }

  labelOf(id: string): number | undefined {
    return this.labelById.get(id);
  }

  idOf(label: number): string | undefined {
    return this.idByLabel.get(label);
  }

  /** Every live id, in insertion order. */
  ids(): string[] {
    return Array.from(this.labelById.keys());
  }

  /** The live entries as a container stores them (a copy). */
  entries(): LabelledIds {
    const ids = this.ids();
    return { ids, labels: Uint32Array.from(ids, (id) => this.labelById.get(id) as number) };
  }

  /**
   * Gives `id` a label — the last one freed, else a new one — and binds it once
   * `place(label, reused)` has stored the point there. If `place` throws, `id` stays
   * unbound and the label is not handed out again (the library may hold a half-written
   * point in that slot). DUPLICATE_ID if `id` is bound already.
   */
  add(id: string, place: (label: number, reused: boolean) => void): number {
    if (this.labelById.has(id)) throw duplicateIdError(id);
    const reused = this.free.pop();
    const label = reused ?? this.next++;
    place(label, reused !== undefined);
    this.bind(id, label);
    return label;
  }

  /**
   * Unbinds `id` once `release(label)` has deleted the point from the library, and keeps
   * its label for reuse. If `release` throws, nothing changes. NOT_FOUND for an unknown id.
   */
  remove(id: string, release: (label: number) => void): number {
    const label = this.labelById.get(id);
    if (label === undefined) throw unknownIdError(id);
    release(label);
    this.labelById.delete(id);
    this.idByLabel.delete(label);
    this.free.push(label);
    return label;
  }

  /** Forgets every id and label (for an index whose library memory was freed). */
  clear(): void {
    this.labelById.clear();
    this.idByLabel.clear();
    this.free.length = 0;
    this.next = 0;
  }

  private bind(id: string, label: number): void {
    this.labelById.set(id, label);
    this.idByLabel.set(label, id);
  }
}
