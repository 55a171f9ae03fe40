import { MicroLoraError } from './errors.js';
import { crc32 } from './crc32.js';

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
// TextEncoder/TextDecoder exist in Node and browsers but in neither ES lib; type just what is used.
interface TextCodecs {
  TextEncoder: new () => { encode(text: string): Uint8Array };
  TextDecoder: new (label: string, options: { fatal: boolean }) => { decode(bytes: Uint8Array): string };
}
const codecs = globalThis as unknown as TextCodecs;
const utf8Encoder = new codecs.TextEncoder();
const utf8Decoder = new codecs.TextDecoder('utf-8', { fatal: true });

/** Header of every container: 4-byte ASCII magic, then a u16 format version. */
export interface ContainerFormat {
  /** Exactly 4 ASCII characters, e.g. 'MLVF'. */
  magic: string;
  version: number;
  /** Human name used in error messages, e.g. 'flat index'. */
  what: string;
}

const HEADER_BYTES = 6;
const CRC_BYTES = 4;

function magicBytes(magic: string): Uint8Array {
  if (!/^[\x20-\x7e]{4}$/.test(magic)) {
    throw new MicroLoraError('INVALID_ARGUMENT', `container magic must be 4 ASCII characters, got ${JSON.stringify(magic)}`);
  }
  return utf8Encoder.encode(magic);
}

/**
 * Little-endian writer of a checksummed container: magic, version, the fields you
 * write, then a CRC-32 of everything before it (appended by finish()).
 */
export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;

  constructor(format: ContainerFormat, initialBytes = 256) {
    this.buf = new Uint8Array(Math.max(16, initialBytes));
    this.view = new DataView(this.buf.buffer);
    this.bytes(magicBytes(format.magic));
    this.u16(format.version);
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(value: number): void {
    this.reserve(1);
    this.view.setUint8(this.pos, value);
    this.pos += 1;
  }

  u16(value: number): void {
    this.reserve(2);
    this.view.setUint16(this.pos, value, true);
    this.pos += 2;
  }

  u32(value: number): void {
    this.reserve(4);
    this.view.setUint32(this.pos, value, true);
    this.pos += 4;
  }

  f64(value: number): void {
    this.reserve(8);
    this.view.setFloat64(this.pos, value, true);
    this.pos += 8;
  }

  bytes(data: Uint8Array): void {
    this.reserve(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
  }

  /** u32 byte length, then the UTF-8 bytes. */
  string(value: string): void {
    const encoded = utf8Encoder.encode(value);
    this.u32(encoded.length);
    this.bytes(encoded);
  }

  /** Zero bytes up to the next multiple of `alignment` (from the container start). */
  align(alignment: number): void {
    const pad = (alignment - (this.pos % alignment)) % alignment;
    this.reserve(pad);
    this.buf.fill(0, this.pos, this.pos + pad);
    this.pos += pad;
  }

  /** Raw little-endian float32 values (no length prefix). */
  f32s(values: Float32Array): void {
    const n = values.length * 4;
    this.reserve(n);
    if (LITTLE_ENDIAN_HOST) {
      this.buf.set(new Uint8Array(values.buffer, values.byteOffset, n), this.pos);
    } else {
      for (let i = 0; i < values.length; i++) this.view.setFloat32(this.pos + i * 4, values[i] as number, true);
    }
    this.pos += n;
  }

  /** Appends the CRC-32 and returns the container (a fresh, exactly sized array). */
  finish(): Uint8Array {
    const crc = crc32(this.buf.subarray(0, this.pos));
    this.u32(crc);
    return this.buf.slice(0, this.pos);
  }
}

/**
 * Bounds-checked little-endian reader over a container opened by openContainer():
 * every read past the end throws CORRUPT_DATA, never a RangeError.
 */
export class ByteReader {
  private readonly view: DataView;
  private pos: number;

  constructor(
    private readonly data: Uint8Array,
    start: number,
    private readonly end: number,
    private readonly what: string,
  ) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    this.pos = start;
  }

  /** Bytes left before the checksum. */
  get remaining(): number {
    return this.end - this.pos;
  }

  /** Throws CORRUPT_DATA naming `field` unless `n` more bytes exist. */
  need(n: number, field: string): void {
    if (!(n >= 0) || n > this.end - this.pos) {
      throw corrupt(this.what, `${field} needs ${n} bytes but only ${this.end - this.pos} remain`);
    }
  }

  u8(field: string): number {
    this.need(1, field);
    return this.view.getUint8(this.pos++);
  }

  u16(field: string): number {
    this.need(2, field);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  u32(field: string): number {
    this.need(4, field);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  f64(field: string): number {
    this.need(8, field);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** A view (no copy) of the next `n` bytes. */
  bytes(n: number, field: string): Uint8Array {
    this.need(n, field);
    const out = this.data.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** A u32-length-prefixed UTF-8 string; invalid UTF-8 is CORRUPT_DATA. */
  string(field: string): string {
    const n = this.u32(`${field} length`);
    const raw = this.bytes(n, field);
    try {
      return utf8Decoder.decode(raw);
    } catch (cause) {
      throw corrupt(this.what, `${field} is not valid UTF-8`, cause);
    }
  }

  /** Skips the zero padding written by ByteWriter.align(). */
  align(alignment: number, field: string): void {
    const pad = (alignment - (this.pos % alignment)) % alignment;
    const raw = this.bytes(pad, field);
    if (raw.some((b) => b !== 0)) throw corrupt(this.what, `${field} padding is not zero`);
  }

  /** `count` little-endian float32 values copied into a new Float32Array of `capacity` ≥ count. */
  f32s(count: number, field: string, capacity = count): Float32Array {
    this.need(count * 4, field);
    const out = new Float32Array(Math.max(capacity, count));
    if (LITTLE_ENDIAN_HOST) {
      new Uint8Array(out.buffer, 0, count * 4).set(this.data.subarray(this.pos, this.pos + count * 4));
    } else {
      for (let i = 0; i < count; i++) out[i] = this.view.getFloat32(this.pos + i * 4, true);
    }
    this.pos += count * 4;
    return out;
  }

  /** Throws CORRUPT_DATA unless every byte before the checksum was consumed. */
  expectEnd(): void {
    if (this.pos !== this.end) throw corrupt(this.what, `${this.end - this.pos} unexpected trailing bytes`);
  }
}

/** A CORRUPT_DATA error for a container of kind `what`. */
export function corrupt(what: string, reason: string, cause?: unknown): MicroLoraError {
  return new MicroLoraError('CORRUPT_DATA', `${what} bytes are corrupt: ${reason}; re-create them with save()`, {
    cause,
    details: { what, reason },
  });
}

/**
 * Checks a container's magic, version and CRC-32 (in that order) and returns a
 * reader positioned after the header, bounded before the checksum.
 * Wrong magic, short input or a bad checksum → CORRUPT_DATA; another version → UNSUPPORTED_VERSION.
 */
export function openContainer(bytes: Uint8Array, format: ContainerFormat): ByteReader {
  if (!(bytes instanceof Uint8Array)) {
    throw new MicroLoraError('INVALID_ARGUMENT', `${format.what} bytes must be a Uint8Array`);
  }
  if (bytes.length < HEADER_BYTES + CRC_BYTES) {
    throw corrupt(format.what, `only ${bytes.length} bytes, shorter than the ${HEADER_BYTES + CRC_BYTES}-byte minimum`);
  }
  const magic = magicBytes(format.magic);
  for (let i = 0; i < 4; i++) {
    if (bytes[i] !== magic[i]) throw corrupt(format.what, `the magic number is not "${format.magic}"`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(4, true);
  if (version !== format.version) {
    throw new MicroLoraError(
      'UNSUPPORTED_VERSION',
      `${format.what} format version ${version} is not supported (this build reads version ${format.version}); use a matching package version`,
      { details: { what: format.what, version, supported: format.version } },
    );
  }
  const end = bytes.length - CRC_BYTES;
  const stored = view.getUint32(end, true);
  const actual = crc32(bytes.subarray(0, end));
  if (stored !== actual) {
    throw corrupt(format.what, `checksum mismatch (stored ${stored.toString(16)}, computed ${actual.toString(16)})`);
  }
  return new ByteReader(bytes, HEADER_BYTES, end, format.what);
}
