import { MicroLoraError } from '@microlora/core';
import { keyIdOf } from './signing-key.js';
import { importPublicKey } from './webcrypto.js';
import type { CryptoKeyLike } from './webcrypto.js';

/** The public keys whose signatures an importer accepts, by key id. */
export class TrustedKeys {
  private readonly keys = new Map<string, CryptoKeyLike>();

  /** A set holding each raw 32-byte public key (or SigningKey-like object with `publicKey`). */
  static async from(publicKeys: Iterable<Uint8Array | { publicKey: Uint8Array }>): Promise<TrustedKeys> {
    const trusted = new TrustedKeys();
    for (const key of publicKeys) await trusted.add(key instanceof Uint8Array ? key : key.publicKey);
    return trusted;
  }

  /** Trusts a raw 32-byte Ed25519 public key; returns its key id. */
  async add(publicKey: Uint8Array): Promise<string> {
    const keyId = await keyIdOf(publicKey);
    this.keys.set(keyId, await importPublicKey(publicKey));
    return keyId;
  }

  /** Stops trusting a key; true when it was trusted. */
  delete(keyId: string): boolean {
    return this.keys.delete(keyId);
  }

  has(keyId: string): boolean {
    return this.keys.has(keyId);
  }

  get size(): number {
    return this.keys.size;
  }

  /** Ids of every trusted key. */
  keyIds(): string[] {
    return [...this.keys.keys()];
  }

  /** The WebCrypto verify key for `keyId`, or undefined when it is not trusted. */
  verifyKey(keyId: string): CryptoKeyLike | undefined {
    return this.keys.get(keyId);
  }
}

export function assertTrustedKeys(value: unknown): asserts value is TrustedKeys {
  if (!(value instanceof TrustedKeys)) {
    throw new MicroLoraError('INVALID_ARGUMENT', 'trustedKeys must be a TrustedKeys (await TrustedKeys.from([publicKey, …]))');
  }
}
