import { describe, expect, it } from 'vitest';
import { ReplayGuard, TrustedKeys, createMemoryNetwork, exportBundle, generateSigningKey, importBundle, signPattern } from '@microlora/federation';
import type { Pattern } from '@microlora/core';
import { NOW, limits, makePattern } from './helpers/fixtures.js';

describe('createMemoryNetwork', () => {
  it('delivers a copy, asynchronously, with the sender id', async () => {
    const net = createMemoryNetwork();
    const a = net.connect('a');
    const b = net.connect('b');
    const got: [string, Uint8Array][] = [];
    b.onReceive((from, bytes) => {
      got.push([from, bytes]);
    });
    const message = Uint8Array.of(1, 2, 3);
    const sending = a.send('b', message);
    expect(got).toHaveLength(0); // never re-entrant
    message[0] = 9;
    await sending;
    expect(got).toStrictEqual([['a', Uint8Array.of(1, 2, 3)]]);
    expect(net.peers()).toStrictEqual(['a', 'b']);
  });

  it('unsubscribes, closes, and reports unknown peers, collisions, oversize and handler failures', async () => {
    const net = createMemoryNetwork({ maxMessageBytes: 4 });
    const a = net.connect('a');
    const b = net.connect('b');
    let calls = 0;
    const off = b.onReceive(() => {
      calls++;
    });
    await a.send('b', Uint8Array.of(1));
    off();
    await a.send('b', Uint8Array.of(1));
    expect(calls).toBe(1);
    expect(() => net.connect('a')).toThrow(expect.objectContaining({ code: 'NAME_COLLISION' }));
    await expect(a.send('nobody', Uint8Array.of(1))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(a.send('b', new Uint8Array(5))).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED' });
    b.onReceive(() => {
      throw new Error('receiver broke');
    });
    await expect(a.send('b', Uint8Array.of(1))).rejects.toMatchObject({ code: 'IO_ERROR', cause: expect.objectContaining({ message: 'receiver broke' }) });
    await b.close();
    await expect(a.send('b', Uint8Array.of(1))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(b.send('a', Uint8Array.of(1))).rejects.toMatchObject({ code: 'IO_ERROR' });
    expect(net.connect('b').peerId).toBe('b'); // the id is free again
  });

  it('carries a bundle from one peer into another peer’s import', async () => {
    const [origin, exporter] = await Promise.all([generateSigningKey(), generateSigningKey()]);
    const trusted = await TrustedKeys.from([origin, exporter]);
    const pattern = await signPattern(makePattern({ id: 'shared' }), origin);
    const net = createMemoryNetwork();
    const alice = net.connect('alice');
    const bob = net.connect('bob');
    const seen = new ReplayGuard();
    const received: Pattern[] = [];
    bob.onReceive(async (_from, bytes) => {
      received.push(...(await importBundle(bytes, { trustedKeys: trusted, limits: limits(), seen, now: NOW })).patterns);
    });
    const { bytes } = await exportBundle([pattern], { recipientTier: 'public', signingKey: exporter, now: NOW });
    await alice.send('bob', bytes);
    expect(received).toStrictEqual([pattern]);
    // The receiver's rejection of a replay reaches the sender of the in-memory network.
    await expect(alice.send('bob', bytes)).rejects.toMatchObject({ code: 'IO_ERROR', cause: expect.objectContaining({ code: 'REPLAY' }) });
  });
});
