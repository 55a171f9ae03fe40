import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SeededRng } from '@microlora/core';
import { MicroLoraBank } from '@microlora/bank';
import { loadBankFromFile, saveBankToFile } from '@microlora/bank/node';
import { DIM, errorCode, patternInput, randomUnit } from './helpers.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'microlora-bank-'));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

function bankWith(n: number, seed: number): MicroLoraBank {
  const rng = new SeededRng(seed);
  const bank = new MicroLoraBank({ timestepRange: [0, 1], maxPatterns: 100, dimension: DIM });
  for (let i = 0; i < n; i++) bank.insert(patternInput(`s${seed}-${i}`, randomUnit(rng)));
  return bank;
}

describe('saveBankToFile / loadBankFromFile', () => {
  it('round-trips through a file and leaves no temporary files', async () => {
    const dir = await tempDir();
    const path = join(dir, 'bank.mlbk');
    const bank = bankWith(5, 1);
    await saveBankToFile(bank, path);
    expect(await readdir(dir)).toEqual(['bank.mlbk']);
    expect(new Uint8Array(await readFile(path))).toEqual(await bank.save());
    const loaded = await loadBankFromFile(path);
    expect(loaded.patterns().map((p) => p.id)).toEqual(bank.patterns().map((p) => p.id));
  });

  it('keeps the old file when a save fails, and cleans up its temporary file', async () => {
    const dir = await tempDir();
    const path = join(dir, 'bank.mlbk');
    const old = bankWith(3, 2);
    await saveBankToFile(old, path);
    const oldBytes = await readFile(path);
    // The target is replaced by a non-empty directory: the rename must fail.
    const blocked = join(dir, 'blocked');
    await mkdir(join(blocked, 'inner'), { recursive: true });
    expect(await errorCode(() => saveBankToFile(bankWith(4, 3), blocked))).toBe('IO_ERROR');
    expect((await readdir(dir)).sort()).toEqual(['bank.mlbk', 'blocked']);
    // A bank whose serialisation throws never touches the target.
    const failing = bankWith(2, 4);
    failing.save = () => Promise.reject(new Error('disk full'));
    await expect(saveBankToFile(failing, path)).rejects.toThrow('disk full');
    expect(await readFile(path)).toEqual(oldBytes);
    expect(await errorCode(() => saveBankToFile(bankWith(1, 5), join(dir, 'missing-dir', 'x')))).toBe('IO_ERROR');
  });

  it('readers always see a complete old or new bank while saves race', async () => {
    const dir = await tempDir();
    const path = join(dir, 'bank.mlbk');
    const banks = [bankWith(20, 10), bankWith(40, 11)];
    const sizes = new Set(banks.map((b) => b.size));
    await saveBankToFile(banks[0]!, path);
    let writing = true;
    const writer = (async () => {
      for (let i = 0; i < 30; i++) await saveBankToFile(banks[i % 2]!, path);
      writing = false;
    })();
    let reads = 0;
    while (writing) {
      const loaded = await loadBankFromFile(path);
      expect(sizes.has(loaded.size)).toBe(true);
      reads++;
    }
    await writer;
    expect(reads).toBeGreaterThan(0);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('maps missing files to IO_ERROR and garbage to CORRUPT_DATA', async () => {
    const dir = await tempDir();
    expect(await errorCode(() => loadBankFromFile(join(dir, 'none')))).toBe('IO_ERROR');
    await writeFile(join(dir, 'junk'), 'not a bank at all');
    expect(await errorCode(() => loadBankFromFile(join(dir, 'junk')))).toBe('CORRUPT_DATA');
    expect(await errorCode(() => loadBankFromFile(''))).toBe('INVALID_ARGUMENT');
    expect(await errorCode(() => saveBankToFile({} as never, join(dir, 'x')))).toBe('INVALID_ARGUMENT');
  });
});
