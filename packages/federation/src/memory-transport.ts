import { MicroLoraError } from '@microlora/core';
import type { ReceiveHandler, Transport } from './transport.js';

/** An in-process network of connected transports, for tests, simulations and single-process setups. */
export interface MemoryNetwork {
  /** A transport for a new peer id (NAME_COLLISION if the id is connected). */
  connect(peerId: string): Transport;
  /** Ids of the connected peers. */
  peers(): string[];
}

export interface MemoryNetworkOptions {
  /** Largest message in bytes (default 64 MiB); larger sends fail with LIMIT_EXCEEDED. */
  maxMessageBytes?: number;
}

class MemoryTransport implements Transport {
  private readonly handlers = new Set<ReceiveHandler>();
  private closed = false;

  constructor(
    readonly peerId: string,
    private readonly network: Map<string, MemoryTransport>,
    private readonly maxMessageBytes: number,
  ) {}

  async send(peerId: string, bytes: Uint8Array): Promise<void> {
    if (this.closed) throw new MicroLoraError('IO_ERROR', `transport ${JSON.stringify(this.peerId)} is closed; connect again to send`);
    if (!(bytes instanceof Uint8Array)) throw new MicroLoraError('INVALID_ARGUMENT', 'send needs a Uint8Array');
    if (bytes.length > this.maxMessageBytes) {
      throw new MicroLoraError('LIMIT_EXCEEDED', `message of ${bytes.length} bytes exceeds maxMessageBytes ${this.maxMessageBytes}`);
    }
    const target = this.network.get(peerId);
    if (target === undefined) throw new MicroLoraError('NOT_FOUND', `peer ${JSON.stringify(peerId)} is not connected`, { details: { peerId } });
    // A copy: the receiver must not see later changes to the sender's buffer, as over a real wire.
    await target.deliver(this.peerId, bytes.slice());
  }

  /** Runs every handler (asynchronously, never re-entrantly); a failing handler is reported to the sender as IO_ERROR. */
  async deliver(from: string, bytes: Uint8Array): Promise<void> {
    await Promise.resolve();
    const failures: unknown[] = [];
    for (const handler of [...this.handlers]) {
      try {
        await handler(from, bytes);
      } catch (err) {
        failures.push(err);
      }
    }
    if (failures.length > 0) {
      throw new MicroLoraError('IO_ERROR', `peer ${JSON.stringify(this.peerId)} failed to handle the message: ${String(failures[0])}`, {
        cause: failures[0],
        details: { peerId: this.peerId, failures: failures.length },
      });
    }
  }

  onReceive(handler: ReceiveHandler): () => void {
    if (typeof handler !== 'function') throw new MicroLoraError('INVALID_ARGUMENT', 'onReceive needs a function');
    this.handlers.add(handler);
    return () => {
      this.handlers.delete(handler);
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.handlers.clear();
    if (this.network.get(this.peerId) === this) this.network.delete(this.peerId);
  }
}

/**
 * A network whose transports deliver to each other in memory. Unlike a real
 * network, send() resolves after the receiver's handlers ran and rejects with
 * IO_ERROR if one threw, so tests see receiver failures.
 */
export function createMemoryNetwork(options: MemoryNetworkOptions = {}): MemoryNetwork {
  const maxMessageBytes = options.maxMessageBytes ?? 64 * 1024 * 1024;
  if (!Number.isInteger(maxMessageBytes) || maxMessageBytes < 1) {
    throw new MicroLoraError('INVALID_ARGUMENT', `maxMessageBytes must be a positive integer, got ${String(maxMessageBytes)}`);
  }
  const transports = new Map<string, MemoryTransport>();
  return {
    connect(peerId: string): Transport {
      if (typeof peerId !== 'string' || peerId.length === 0) throw new MicroLoraError('INVALID_ARGUMENT', 'peerId must be a non-empty string');
      if (transports.has(peerId)) {
        throw new MicroLoraError('NAME_COLLISION', `peer ${JSON.stringify(peerId)} is already connected; close it first or pick another id`);
      }
      const transport = new MemoryTransport(peerId, transports, maxMessageBytes);
      transports.set(peerId, transport);
      return transport;
    },
    peers: () => [...transports.keys()],
  };
}
