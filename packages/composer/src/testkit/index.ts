export { strategyConformanceCases, EXACT_TOLERANCE } from './cases.js';
export type { StrategyConformanceCase, StrategyConformanceOptions } from './cases.js';
export {
  FIXTURE_IN,
  FIXTURE_OUT,
  fixtureLora,
  equalRankItems,
  mixedRankItems,
  int8Items,
  mixedRankInt8Items,
  referenceComposite,
  relativeFrobeniusDistance,
} from './fixtures.js';
