import { describe, expect, it } from 'vitest';
import type { ByteStore } from '../src/idb-bytes.js';
import { StateSaver } from '../src/state-saver.js';
import { MemoryByteStore } from './helpers.js';

/** A snapshot of a counter that changes while saves run: records 'a' and 'b' always hold the same version. */
function versionedSnapshot() {
  const source = { version: 0, taken: 0 };
  const snapshot = async (): Promise<Array<[string, Uint8Array]>> => {
    source.taken++;
    const version = source.version;
    await Promise.resolve(); // TaloraManager.save() is asynchronous
    return [
      ['a', Uint8Array.of(version)],
      ['b', Uint8Array.of(version, version)],
    ];
  };
  return { source, snapshot };
}

describe('StateSaver', () => {
  it('saves one snapshot at a time and never leaves an older one last', async () => {
    const bytes = new MemoryByteStore();
    const { source, snapshot } = versionedSnapshot();
    const saver = new StateSaver(snapshot, bytes);
    const first = saver.save();
    expect(saver.save()).toBe(first); // not started yet: calls share it
    await Promise.resolve(); // now it has started
    source.version = 1; // the state changes while the first save runs
    const second = saver.save();
    const third = saver.save(); // shares the queued second save
    expect(second).not.toBe(first);
    expect(third).toBe(second);
    await Promise.all([first, second, third]);
    expect(source.taken).toBe(2);
    expect(bytes.puts).toBe(2);
    expect(bytes.records.get('a')).toEqual(Uint8Array.of(1));
    expect(bytes.records.get('b')).toEqual(Uint8Array.of(1, 1));
    expect(saver.current).toMatchObject({ busy: false, saved: 2, lastBytes: 3 });
  });

  it('reports a failed save in its state and clears it on the next success', async () => {
    const bytes = new MemoryByteStore();
    const states: boolean[] = [];
    const failing: ByteStore = {
      get: (key) => bytes.get(key),
      delete: (key) => bytes.delete(key),
      put: (key, value) => bytes.put(key, value),
      putMany: () => Promise.reject(new Error('quota exceeded')),
    };
    const saver = new StateSaver(versionedSnapshot().snapshot, failing, (s) => states.push(s.busy));
    await saver.save();
    expect(saver.current).toMatchObject({ busy: false, saved: 0, error: 'quota exceeded' });
    expect(bytes.records.size).toBe(0);
    failing.putMany = (records) => bytes.putMany(records);
    await saver.save();
    expect(saver.current.error).toBeUndefined();
    expect(saver.current.saved).toBe(1);
    expect(states).toEqual([true, false, true, false]);
  });
});
