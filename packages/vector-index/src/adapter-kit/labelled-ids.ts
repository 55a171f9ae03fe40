import { corrupt } from '@microlora/core';
import type { ByteReader, ByteWriter } from '@microlora/core';

/** Live string ids and the numeric labels a library knows them by: `ids[i]` has label `labels[i]`. */
export interface LabelledIds {
  ids: string[];
  labels: Uint32Array;
}

/** Writes `u32 count | count × (u32 label, u32 byteLength, UTF-8 id)`. */
export function writeLabelledIds(w: ByteWriter, table: LabelledIds): void {
  const { ids, labels } = table;
  w.u32(ids.length);
  for (let i = 0; i < ids.length; i++) {
    w.u32(labels[i] as number);
    w.string(ids[i] as string);
  }
}

/**
 * Reads what writeLabelledIds() wrote. The count is checked against the bytes left before
 * anything is allocated; a repeated id or label is CORRUPT_DATA.
 */
export function readLabelledIds(r: ByteReader, what: string): LabelledIds {
  const count = r.u32('count');
  // Each entry costs at least its label and its id's length prefix.
  r.need(count * 8, `${count} labelled ids`);
  const labels = new Uint32Array(count);
  const ids = new Array<string>(count);
  const seenIds = new Set<string>();
  const seenLabels = new Set<number>();
  for (let i = 0; i < count; i++) {
    const label = r.u32(`label ${i}`);
    const id = r.string(`id ${i}`);
    if (seenIds.has(id)) throw corrupt(what, `id ${JSON.stringify(id)} appears twice`);
    if (seenLabels.has(label)) throw corrupt(what, `label ${label} appears twice`);
    seenIds.add(id);
    seenLabels.add(label);
    labels[i] = label;
    ids[i] = id;
  }
  return { ids, labels };
}
