import { afterEach, describe, expect, it } from 'vitest';
import { isMicroLoraError } from '@microlora/core';
import {
  assertCompleteBackend,
  backendFailures,
  createJsBackend,
  getBackend,
  getBackendAsync,
  listBackends,
  registerBackend,
  setPreferredBackend,
  unregisterBackend,
} from '@microlora/simd';
import type { SimdOps } from '@microlora/simd';

const registered: string[] = [];
function register(name: string, factory: () => SimdOps | Promise<SimdOps>, priority: number): void {
  registerBackend(name, factory, priority);
  registered.push(name);
}

/** A complete backend that is the JS one under another name. */
function fakeBackend(name: string): SimdOps {
  return { ...createJsBackend(), name };
}

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

afterEach(() => {
  for (const name of registered.splice(0)) unregisterBackend(name);
  setPreferredBackend(undefined);
});

describe('backend registry', () => {
  it('registers the js backend on import, lazily, as one instance', () => {
    expect(listBackends()).toEqual(['js']);
    const js = getBackend();
    expect(js.name).toBe('js');
    expect(getBackend('js')).toBe(js);
  });

  it('picks the highest priority that initialises', () => {
    register('fast', () => fakeBackend('fast'), 5);
    register('faster', () => fakeBackend('faster'), 9);
    expect(listBackends()).toEqual(['faster', 'fast', 'js']);
    expect(getBackend().name).toBe('faster');
  });

  it('falls back to js past a failing higher-priority backend and lists why it failed', () => {
    register('broken', () => {
      throw new Error('WebAssembly SIMD is not supported here');
    }, 10);
    expect(getBackend().name).toBe('js');
    expect(backendFailures()).toEqual([{ name: 'broken', reason: 'WebAssembly SIMD is not supported here' }]);
    const err = caught(() => getBackend('broken'));
    expect(isMicroLoraError(err, 'BACKEND_UNAVAILABLE')).toBe(true);
    expect((err as Error).message).toContain('WebAssembly SIMD is not supported here');
  });

  it('rejects a backend missing an op with NOT_IMPLEMENTED naming the op, and falls back', () => {
    const { softmax: _softmax, ...partial } = fakeBackend('partial');
    register('partial', () => partial as SimdOps, 10);
    expect(getBackend().name).toBe('js');
    const failure = backendFailures().find((f) => f.name === 'partial');
    expect(failure?.reason).toContain('"softmax"');
    const err = caught(() => getBackend('partial'));
    expect(isMicroLoraError(err, 'BACKEND_UNAVAILABLE')).toBe(true);
    expect(isMicroLoraError((err as Error).cause, 'NOT_IMPLEMENTED')).toBe(true);
    expect((err as Error).message).toContain('op "softmax" is not implemented in backend "partial"');
  });

  it('assertCompleteBackend names the first missing op', () => {
    const { gemv: _gemv, ...partial } = fakeBackend('p');
    const err = caught(() => assertCompleteBackend(partial as SimdOps));
    expect(isMicroLoraError(err, 'NOT_IMPLEMENTED')).toBe(true);
    expect((err as { details: Record<string, unknown> }).details).toEqual({ op: 'gemv', backend: 'p' });
    const complete = fakeBackend('c');
    expect(assertCompleteBackend(complete)).toBe(complete);
  });

  it('accepts the same factory twice but not another factory under a taken name', () => {
    const factory = (): SimdOps => fakeBackend('twice');
    register('twice', factory, 3);
    expect(() => registerBackend('twice', factory, 3)).not.toThrow();
    expect(listBackends().filter((n) => n === 'twice')).toHaveLength(1);
    const err = caught(() => registerBackend('twice', () => fakeBackend('twice'), 3));
    expect(isMicroLoraError(err, 'NAME_COLLISION')).toBe(true);
    expect(() => registerBackend('js', createJsBackend, 1)).not.toThrow(); // what index.ts registers
    expect(isMicroLoraError(caught(() => registerBackend('js', () => createJsBackend(), 1)), 'NAME_COLLISION')).toBe(true);
  });

  it('skips an async backend in getBackend() and returns it from getBackendAsync()', async () => {
    register('async', async () => fakeBackend('async'), 10);
    expect(getBackend().name).toBe('js');
    expect((await getBackendAsync()).name).toBe('async');
    expect(getBackend().name).toBe('async'); // initialised now
  });

  it('rejects an async backend missing an op and falls back asynchronously', async () => {
    const { dot: _dot, ...partial } = fakeBackend('async-partial');
    register('async-partial', async () => partial as SimdOps, 10);
    expect((await getBackendAsync()).name).toBe('js');
    expect(backendFailures().find((f) => f.name === 'async-partial')?.reason).toContain('"dot"');
  });

  it('honours a preferred backend and restores priority order', () => {
    register('fast', () => fakeBackend('fast'), 5);
    setPreferredBackend('js');
    expect(getBackend().name).toBe('js');
    setPreferredBackend(undefined);
    expect(getBackend().name).toBe('fast');
    expect(isMicroLoraError(caught(() => setPreferredBackend('nope')), 'NOT_FOUND')).toBe(true);
  });

  it('throws BACKEND_UNAVAILABLE listing every failure when nothing initialises', () => {
    unregisterBackend('js');
    try {
      register('broken-a', () => {
        throw new Error('reason A');
      }, 2);
      register('broken-b', () => {
        throw new Error('reason B');
      }, 3);
      const err = caught(() => getBackend());
      expect(isMicroLoraError(err, 'BACKEND_UNAVAILABLE')).toBe(true);
      expect((err as Error).message).toContain('broken-b: reason B');
      expect((err as Error).message).toContain('broken-a: reason A');
    } finally {
      registerBackend('js', createJsBackend, 1);
    }
    expect(getBackend().name).toBe('js');
  });
});
