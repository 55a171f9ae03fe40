// The adapter kit: what every VectorIndex adapter needs besides its own library.
export {
  checkNewEntry,
  checkNewBatch,
  checkSearch,
  duplicateIdError,
  unknownIdError,
  integerOption,
} from './index-arguments.js';
export type { IndexUnderCheck, CheckedBatch, CheckedSearch } from './index-arguments.js';
export { LabelMap } from './label-map.js';
export { GuardedLabelFilter, guardLabelFilter } from './guarded-label-filter.js';
export { hitsFromNeighbors } from './neighbor-hits.js';
export type { LabelledNeighbors } from './neighbor-hits.js';
export { writeIndexHeader, readIndexHeader, assertSnapshotFits } from './index-header.js';
export type { IndexHeader } from './index-header.js';
export { writeLabelledIds, readLabelledIds } from './labelled-ids.js';
export type { LabelledIds } from './labelled-ids.js';
export {
  HNSW_DEFAULTS,
  MAX_HNSW_M,
  MAX_HNSW_EF,
  checkEf,
  resolveHnswParameters,
} from './hnsw-parameters.js';
export type { HnswParameters, HnswParameterOptions } from './hnsw-parameters.js';
export { encodeHnswContainer, decodeHnswContainer } from './hnsw-container.js';
export type { HnswContainerLayout, HnswSnapshot } from './hnsw-container.js';
export { LabelledHnswIndex } from './labelled-hnsw-index.js';
export type { HnswTunable } from './labelled-hnsw-index.js';
