/** Stable error codes. Never renamed once published; new codes may be added. */
export type MicroLoraErrorCode =
  | 'INVALID_ARGUMENT'
  | 'DIMENSION_MISMATCH'
  | 'NON_FINITE'
  | 'RANK_OUT_OF_RANGE'
  | 'OUT_OF_RANGE'
  | 'CORRUPT_DATA'
  | 'UNSUPPORTED_VERSION'
  | 'BACKEND_UNAVAILABLE'
  | 'NOT_IMPLEMENTED'
  | 'NAME_COLLISION'
  | 'NOT_FOUND'
  | 'DUPLICATE_ID'
  | 'CAPACITY_EXCEEDED'
  | 'LIMIT_EXCEEDED'
  | 'POLICY_VIOLATION'
  | 'BAD_SIGNATURE'
  | 'REPLAY'
  | 'IO_ERROR';

export interface MicroLoraErrorOptions {
  cause?: unknown;
  /** Machine-readable context: the offending value, expected value, index, … */
  details?: Readonly<Record<string, unknown>>;
}

/**
 * The one error class of every @microlora package. `code` is stable; `message`
 * names the bad value and the fix.
 */
export class MicroLoraError extends Error {
  readonly code: MicroLoraErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: MicroLoraErrorCode, message: string, options: MicroLoraErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MicroLoraError';
    this.code = code;
    this.details = options.details ?? {};
  }
}

/** True when `err` is a MicroLoraError, optionally with the given code. Works across package copies. */
export function isMicroLoraError(err: unknown, code?: MicroLoraErrorCode): err is MicroLoraError {
  if (err instanceof MicroLoraError) return code === undefined || err.code === code;
  // Duck-typed fallback for errors thrown by another copy of this package.
  if (typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'MicroLoraError') {
    return code === undefined || (err as { code?: unknown }).code === code;
  }
  return false;
}
