import { describe, expect, it } from 'vitest';
import { MicroLoraError, Registry, isMicroLoraError } from '@microlora/core';

describe('Registry', () => {
  it('picks the highest priority that initialises and remembers the instance', () => {
    const r = new Registry<{ n: string }>('thing');
    let made = 0;
    r.register('low', () => ({ n: 'low' }), { priority: 1 });
    r.register('high', () => ({ n: `high${++made}` }), { priority: 2 });
    expect(r.best().n).toBe('high1');
    expect(r.best().n).toBe('high1');
    expect(r.names()).toEqual(['high', 'low']);
  });

  it('falls back when the best fails, and aggregates every reason when none works', () => {
    const r = new Registry<string>('SIMD backend');
    r.register('wasm', () => {
      throw new Error('no SIMD128');
    }, { priority: 2 });
    r.register('js', () => 'js', { priority: 1 });
    expect(r.best()).toBe('js');
    expect(r.failures()).toEqual([{ name: 'wasm', reason: 'no SIMD128' }]);

    const none = new Registry<string>('SIMD backend');
    none.register('a', () => {
      throw new Error('reason A');
    });
    none.register('b', () => {
      throw new Error('reason B');
    });
    try {
      none.best();
      expect.unreachable();
    } catch (err) {
      expect(isMicroLoraError(err, 'BACKEND_UNAVAILABLE')).toBe(true);
      expect((err as Error).message).toContain('reason A');
      expect((err as Error).message).toContain('reason B');
    }
  });

  it('rejects a different factory under a taken name, accepts the same one twice', () => {
    const r = new Registry<number>('strategy');
    const f = () => 1;
    r.register('x', f);
    expect(() => r.register('x', f)).not.toThrow();
    expect(() => r.register('x', () => 2)).toThrow(expect.objectContaining({ code: 'NAME_COLLISION' }));
  });

  it('initialises async factories through bestAsync and reports sync access clearly', async () => {
    const r = new Registry<string>('backend');
    r.register('slow', async () => 'slow', { priority: 5 });
    r.register('fast', () => 'fast', { priority: 1 });
    expect(r.best()).toBe('fast');
    expect(await r.bestAsync()).toBe('slow');
    expect(r.best()).toBe('slow');
  });

  it('records a rejected async factory as a failure', async () => {
    const r = new Registry<string>('backend');
    r.register('bad', () => Promise.reject(new Error('wasm fetch failed')), { priority: 2 });
    r.register('ok', () => 'ok');
    expect(await r.bestAsync()).toBe('ok');
    await expect(r.getAsync('bad')).rejects.toThrow(/wasm fetch failed/);
  });

  it('get() of an unknown name lists what is registered', () => {
    const r = new Registry<number>('index adapter');
    r.register('flat', () => 1);
    expect(() => r.get('hnsw')).toThrow(/registered: flat/);
    try {
      r.get('hnsw');
    } catch (err) {
      expect(err).toBeInstanceOf(MicroLoraError);
      expect((err as MicroLoraError).code).toBe('NOT_FOUND');
    }
  });

  it('prefer() overrides priority until cleared', () => {
    const r = new Registry<string>('backend');
    r.register('a', () => 'a', { priority: 1 });
    r.register('b', () => 'b', { priority: 2 });
    r.prefer('a');
    expect(r.best()).toBe('a');
    r.prefer(undefined);
    expect(r.best()).toBe('b');
    expect(() => r.prefer('zzz')).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  });
});
