import type { AdapterSource, MicroLora } from 'microlora';
import type { JournalRecord } from './journal-records.js';
import type { ReplayClock } from './replay-clock.js';

/** Sources for MicroLora.feedback, which reads only their ids. */
export function sourcesOf(ids: readonly string[]): AdapterSource[] {
  return ids.map((id) => ({ id, banks: [], similarity: 0, score: 0, weight: 0 }));
}

/** Applies one journal record as the live mutation did (same clock reading, same evictions). */
export function replayRecord(micro: MicroLora, clock: ReplayClock, record: JournalRecord): void {
  if (record.kind === 'insert') {
    // The live insert evicted these; removing them first makes the same ones leave.
    for (const id of record.evictedIds) if (micro.hasPattern(id)) micro.removePattern(id);
    clock.pinnedAt(record.at, () =>
      micro.insertPattern(
        {
          id: record.id,
          query: record.embedding,
          lora: record.lora,
          timestepRange: record.timestepRange,
          ...(record.metrics === undefined ? {} : { metrics: record.metrics }),
        },
        { replace: true },
      ),
    );
    return;
  }
  const known = record.patternIds.filter((id) => micro.hasPattern(id));
  if (known.length === 0) return;
  clock.pinnedAt(record.at, () =>
    micro.feedback(sourcesOf(known), {
      quality: record.quality,
      ...(record.denoisingQuality === undefined ? {} : { denoisingQuality: record.denoisingQuality }),
      ...(record.latencyMs === undefined ? {} : { latencyMs: record.latencyMs }),
      ...(record.userId === undefined ? {} : { userId: record.userId }),
    }),
  );
}
