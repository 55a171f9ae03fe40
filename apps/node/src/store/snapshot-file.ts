import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ByteWriter, corrupt, openContainer, type ContainerFormat } from '@microlora/core';
import { ioError, writeFileAtomic } from '@microlora/bank/node';

/**
 * Snapshot file: a 30-byte checksummed header container "MLSN" v1 (u32 generation:
 * the first journal to replay after it, f64 createdAt ms, f64 payload length), then
 * the payload: MicroLora.save() bytes, which carry their own CRC-32.
 */
export const SNAPSHOT_FILE = 'snapshot.mls';
const HEADER_FORMAT: ContainerFormat = { magic: 'MLSN', version: 1, what: 'store snapshot header' };
const HEADER_BYTES = 30;

export interface Snapshot {
  generation: number;
  createdAt: number;
  /** MicroLora.save() bytes. */
  payload: Uint8Array;
  fileBytes: number;
}

/** Writes the snapshot atomically (temporary file, fsync, rename, directory fsync). */
export async function writeSnapshot(directory: string, generation: number, payload: Uint8Array): Promise<number> {
  const w = new ByteWriter(HEADER_FORMAT, HEADER_BYTES);
  w.u32(generation);
  w.f64(Date.now());
  w.f64(payload.length);
  const header = w.finish();
  await writeFileAtomic(join(directory, SNAPSHOT_FILE), [header, payload]);
  return header.length + payload.length;
}

/** The snapshot, or undefined when there is none. Damaged header or length → CORRUPT_DATA. */
export async function readSnapshot(directory: string): Promise<Snapshot | undefined> {
  const path = join(directory, SNAPSHOT_FILE);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (cause) {
    if ((cause as { code?: string }).code === 'ENOENT') return undefined;
    throw ioError('read the snapshot', path, cause);
  }
  const r = openContainer(bytes.subarray(0, HEADER_BYTES), HEADER_FORMAT);
  const generation = r.u32('generation');
  const createdAt = r.f64('createdAt');
  const length = r.f64('payload length');
  r.expectEnd();
  if (length !== bytes.length - HEADER_BYTES) {
    throw corrupt('store snapshot', `${path} should hold ${length} payload bytes but holds ${bytes.length - HEADER_BYTES}`);
  }
  return { generation, createdAt, payload: bytes.subarray(HEADER_BYTES), fileBytes: bytes.length };
}
