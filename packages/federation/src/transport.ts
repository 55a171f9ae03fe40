/** Called with the sender's peer id and the bytes it sent. */
export type ReceiveHandler = (fromPeerId: string, bytes: Uint8Array) => void | Promise<void>;

/**
 * How bundles move between peers. This package ships only an in-memory
 * implementation (createMemoryNetwork); networking is out of scope — implement
 * this over WebSocket, HTTP or WebRTC yourself, and always pass what you receive
 * through importBundle (transports carry untrusted bytes).
 */
export interface Transport {
  /** This endpoint's peer id. */
  readonly peerId: string;
  /** Delivers `bytes` to `peerId`. */
  send(peerId: string, bytes: Uint8Array): Promise<void>;
  /** Registers a handler for incoming messages; returns a function that unregisters it. */
  onReceive(handler: ReceiveHandler): () => void;
  /** Leaves the network; later sends fail and nothing more is received. */
  close(): Promise<void>;
}
