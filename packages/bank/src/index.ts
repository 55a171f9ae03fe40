export { MicroLoraBank } from './bank.js';
export type {
  RetrievedPattern,
  InsertOptions,
  InsertResult,
  UsageRecord,
  FeedbackRecord,
  BankStats,
  LoadBankOptions,
} from './bank.js';
export {
  DEFAULT_SCORING,
  DEFAULT_DIMENSION,
  DEFAULT_HALF_LIFE_MS,
  DEFAULT_OVERSAMPLE,
  DEFAULT_LATENCY_WINDOW,
  resolveScoring,
} from './options.js';
export type { MicroLoraBankOptions, ScoringWeights, TimestepPolicy } from './options.js';
export { unitSimilarity, recencyScore } from './blended-score.js';
export { BANK_FORMAT } from './bank-codec.js';
