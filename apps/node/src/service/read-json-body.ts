import type { IncomingMessage } from 'node:http';
import { HttpError } from './http-error.js';

export interface BodyLimits {
  /** Larger bodies are answered 413 as soon as the excess arrives (or from Content-Length). */
  maxBytes: number;
  /** A body not complete this long after the request arrived is answered 408. */
  timeoutMs: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function isJsonContentType(header: string | undefined): boolean {
  if (header === undefined) return false;
  const type = header.split(';', 1)[0]?.trim().toLowerCase();
  return type === 'application/json' || (type !== undefined && type.startsWith('application/') && type.endsWith('+json'));
}

/**
 * Reads and parses a JSON body within `limits`. Requiring application/json also
 * keeps browsers from posting here cross-site without a CORS preflight.
 */
export function readJsonBody(req: IncomingMessage, limits: BodyLimits): Promise<unknown> {
  if (!isJsonContentType(req.headers['content-type'])) {
    req.resume();
    return Promise.reject(
      new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `send the body as JSON with "Content-Type: application/json" (got ${JSON.stringify(req.headers['content-type'] ?? null)})`),
    );
  }
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limits.maxBytes) {
    return Promise.reject(tooLarge(limits.maxBytes, Number(declared)));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (error: HttpError | undefined, value?: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
      if (error !== undefined) {
        // Discard whatever else arrives; the answer closes the connection.
        req.resume();
        reject(error);
      } else {
        resolve(value);
      }
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limits.maxBytes) {
        finish(tooLarge(limits.maxBytes, undefined));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      let text: string;
      try {
        text = utf8.decode(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
      } catch {
        finish(new HttpError(400, 'INVALID_JSON', 'the body is not valid UTF-8'));
        return;
      }
      if (text.trim().length === 0) {
        finish(new HttpError(400, 'INVALID_JSON', 'the body is empty; send a JSON object'));
        return;
      }
      try {
        finish(undefined, JSON.parse(text));
      } catch (cause) {
        const reason = cause instanceof Error ? cause.message : 'invalid JSON';
        finish(new HttpError(400, 'INVALID_JSON', `the body is not valid JSON: ${reason.slice(0, 200)}`));
      }
    };
    const onError = (): void => finish(new HttpError(400, 'BAD_REQUEST', 'the request body could not be read', undefined, true));
    const onAborted = (): void => finish(new HttpError(400, 'BAD_REQUEST', 'the client aborted the request', undefined, true));
    const timer = setTimeout(() => {
      finish(new HttpError(408, 'REQUEST_TIMEOUT', `the body did not arrive within ${limits.timeoutMs} ms`, undefined, true));
    }, limits.timeoutMs);
    timer.unref();
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}

function tooLarge(maxBytes: number, declared: number | undefined): HttpError {
  const what = declared === undefined ? 'the body is larger than' : `the body (${declared} bytes) is larger than`;
  return new HttpError(413, 'PAYLOAD_TOO_LARGE', `${what} the ${maxBytes}-byte limit; send fewer patterns per request`, { maxBytes }, true);
}
