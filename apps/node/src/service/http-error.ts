import { isMicroLoraError, type MicroLoraErrorCode } from 'microlora';
import type { z } from 'zod';

/** An error answered as `{ error: { code, message, details? } }` with `status`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Readonly<Record<string, unknown>>,
    /** Close the connection after answering (the rest of the body is not read). */
    readonly closeConnection = false,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

const STATUS_BY_CODE: Readonly<Record<MicroLoraErrorCode, number>> = {
  INVALID_ARGUMENT: 400,
  DIMENSION_MISMATCH: 422,
  NON_FINITE: 422,
  RANK_OUT_OF_RANGE: 422,
  OUT_OF_RANGE: 422,
  CORRUPT_DATA: 422,
  UNSUPPORTED_VERSION: 422,
  BAD_SIGNATURE: 422,
  NOT_FOUND: 404,
  DUPLICATE_ID: 409,
  NAME_COLLISION: 409,
  REPLAY: 409,
  CAPACITY_EXCEEDED: 413,
  LIMIT_EXCEEDED: 413,
  POLICY_VIOLATION: 403,
  NOT_IMPLEMENTED: 501,
  BACKEND_UNAVAILABLE: 503,
  IO_ERROR: 503,
};

/** HTTP status of a MicroLoraError code (500 for codes added later). */
export function statusForCode(code: string): number {
  return (STATUS_BY_CODE as Record<string, number | undefined>)[code] ?? 500;
}

/** Keeps details JSON-safe and small (no typed arrays, bigints or deep objects in answers). */
function safeDetails(details: Readonly<Record<string, unknown>>): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(details)) {
    if (typeof value === 'boolean') out[key] = value;
    else if (typeof value === 'number') out[key] = Number.isFinite(value) ? value : String(value);
    else if (typeof value === 'string') out[key] = value.length > 200 ? `${value.slice(0, 200)}…` : value;
    else if (typeof value === 'bigint') out[key] = `0x${value.toString(16)}`;
    else if (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number')) out[key] = value.slice(0, 100);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The answer for anything thrown by a handler; unknown errors become a 500 without internals. */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (isMicroLoraError(error)) {
    return new HttpError(statusForCode(error.code), error.code, error.message, safeDetails(error.details ?? {}));
  }
  return new HttpError(500, 'INTERNAL', 'the service failed on this request; the error is in its log');
}

/** A 400 naming the first invalid field (and up to ten issues in details). */
export function invalidRequest(error: z.ZodError): HttpError {
  const issues = error.issues.slice(0, 10).map((issue) => ({
    path: issue.path.map(String).join('.') || '(body)',
    message: issue.message,
  }));
  const first = issues[0] ?? { path: '(body)', message: 'invalid' };
  return new HttpError(400, 'INVALID_REQUEST', `${first.path}: ${first.message}`, {
    issues: issues.map((i) => `${i.path}: ${i.message}`),
  });
}
