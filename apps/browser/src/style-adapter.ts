import { MicroLoraError, loraFromFactors, type LoraWeights } from 'microlora';

/** Logit gain of a style adapter on a hidden state that points exactly along its query (cosine 1). */
export const STYLE_ADAPTER_GAIN = 8;

/**
 * A rank-1 adapter that nudges the head toward one style for queries like `embedding`:
 * ΔW·h = (e·h)·g·w_style with e the query's unit embedding and w_style the head's unit
 * row, so the nudge grows with the cosine between the request and the stored query.
 * With h = √d·ê (unit-RMS hidden states) the logit of the style rises by g·√d·cos/√d·… = g·cos.
 */
export function styleAdapter(embedding: Float32Array, styleDirection: Float32Array, gain = STYLE_ADAPTER_GAIN): LoraWeights {
  const d = embedding.length;
  if (styleDirection.length !== d) {
    throw new MicroLoraError('DIMENSION_MISMATCH', `embedding has ${d} values but the style direction ${styleDirection.length}`);
  }
  let norm = 0;
  for (let i = 0; i < d; i++) norm += (embedding[i] as number) ** 2;
  norm = Math.sqrt(norm);
  if (!(norm > 0) || !Number.isFinite(norm)) {
    throw new MicroLoraError('INVALID_ARGUMENT', 'a style adapter needs a non-zero, finite query embedding (the query has no words?)');
  }
  const a = new Float32Array(d);
  for (let i = 0; i < d; i++) a[i] = (embedding[i] as number) / norm;
  // Hidden states have unit RMS (norm √d), so e·h = √d·cos; dividing by √d makes the gain a logit.
  const scale = gain / Math.sqrt(d);
  const b = new Float32Array(d);
  for (let i = 0; i < d; i++) b[i] = (styleDirection[i] as number) * scale;
  return loraFromFactors({ rank: 1, inFeatures: d, outFeatures: d, alpha: 1, a, b });
}
