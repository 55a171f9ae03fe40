import { describe, expect, it } from 'vitest';
import { ByteWriter, crc32, isMicroLoraError, openContainer } from '@microlora/core';

const FORMAT = { magic: 'TEST', version: 3, what: 'test container' };
const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

describe('crc32', () => {
  it('matches the standard check value and continues across chunks', () => {
    expect(crc32(ascii('123456789'))).toBe(0xcbf43926);
    expect(crc32(ascii('6789'), crc32(ascii('12345')))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it('matches a bitwise reference at every length and alignment (slicing-by-4 tail handling)', () => {
    const bitwise = (bytes: Uint8Array): number => {
      let c = 0xffffffff;
      for (const byte of bytes) {
        c ^= byte;
        for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      }
      return (c ^ 0xffffffff) >>> 0;
    };
    for (let len = 0; len < 40; len++) {
      const bytes = Uint8Array.from({ length: len }, (_, i) => (i * 97 + len * 31) & 255);
      expect(crc32(bytes)).toBe(bitwise(bytes));
      expect(crc32(bytes.subarray(3))).toBe(bitwise(bytes.subarray(3)));
    }
  });
});

describe('checksummed container', () => {
  function sample(): Uint8Array {
    const w = new ByteWriter(FORMAT);
    w.u8(7);
    w.u32(123456);
    w.string('héllo');
    w.align(4);
    w.f32s(new Float32Array([1.5, -2.25]));
    w.f64(Math.PI);
    return w.finish();
  }

  it('round-trips every field and checks the end', () => {
    const r = openContainer(sample(), FORMAT);
    expect(r.u8('a')).toBe(7);
    expect(r.u32('b')).toBe(123456);
    expect(r.string('c')).toBe('héllo');
    r.align(4, 'pad');
    expect(Array.from(r.f32s(2, 'd'))).toEqual([1.5, -2.25]);
    expect(r.f64('e')).toBe(Math.PI);
    expect(() => r.expectEnd()).not.toThrow();
    expect(() => r.u8('past the end')).toThrow(expect.objectContaining({ code: 'CORRUPT_DATA' }));
  });

  it('rejects every single flipped byte and every truncation with a typed error', () => {
    const bytes = sample();
    for (let i = 0; i < bytes.length; i++) {
      const bad = bytes.slice();
      bad[i] = (bad[i] as number) ^ 0x40;
      let code: string | undefined;
      try {
        openContainer(bad, FORMAT);
      } catch (err) {
        expect(isMicroLoraError(err)).toBe(true);
        code = (err as { code: string }).code;
      }
      // Bytes 4–5 hold the version: flipping them is reported as another version.
      expect(code).toBe(i === 4 || i === 5 ? 'UNSUPPORTED_VERSION' : 'CORRUPT_DATA');
    }
    for (let n = 0; n < bytes.length; n++) {
      expect(() => openContainer(bytes.subarray(0, n), FORMAT)).toThrow(
        expect.objectContaining({ code: 'CORRUPT_DATA' }),
      );
    }
  });
});
