import { UNK } from './vocab.js';

// The model only ever predicts characters (ids UNK … vocabSize − 1): every reading of a row
// of logits — argmax, log-softmax, entropy, probabilities — is over those ids.

/** Per-row statistics over the character logits (reused across rows: no allocation). */
export class CharRow {
  /** The most likely character. */
  arg = UNK;
  max = 0;
  /** log Σ exp(logit) over the characters. */
  logSumExp = 0;
  /** Entropy of softmax over the characters (nats); computed by read(…, true). */
  entropy = 0;

  /** Reads row `offset … offset + v` of logits; the entropy only when asked. */
  read(logits: ArrayLike<number>, offset: number, v: number, withEntropy = false): this {
    let max = -Infinity;
    let arg = UNK;
    for (let c = UNK; c < v; c++) {
      const x = logits[offset + c] as number;
      if (x > max) {
        max = x;
        arg = c;
      }
    }
    let z = 0;
    let zl = 0;
    for (let c = UNK; c < v; c++) {
      const d = (logits[offset + c] as number) - max;
      const e = Math.exp(d);
      z += e;
      if (withEntropy) zl += e * d;
    }
    this.arg = arg;
    this.max = max;
    this.logSumExp = max + Math.log(z);
    this.entropy = withEntropy ? Math.log(z) - zl / z : 0; // H = log Z − E[logit − max]
    return this;
  }

  /** log p(id) of the row last read. */
  logProb(logits: ArrayLike<number>, offset: number, id: number): number {
    return (logits[offset + id] as number) - this.logSumExp;
  }

  /** softmax over the characters of the row last read into out (PAD and MASK get 0). */
  probsInto(logits: ArrayLike<number>, offset: number, v: number, out: Float32Array): Float32Array {
    for (let c = 0; c < v; c++) out[c] = c < UNK ? 0 : Math.exp((logits[offset + c] as number) - this.logSumExp);
    return out;
  }
}

/**
 * Back-propagates a gradient on the logits through the output layer and the head's
 * ReLU: g[j] = Σ_c W_out[j, c]·dLogits[c] where pre[j] > 0, else 0. W_out is [dim, v].
 */
export function backpropToPreActivation(outW: Float32Array, v: number, pre: ArrayLike<number>, dLogits: ArrayLike<number>, g: Float32Array): Float32Array {
  for (let j = 0; j < g.length; j++) {
    if (!((pre[j] as number) > 0)) {
      g[j] = 0;
      continue;
    }
    let s = 0;
    const row = j * v;
    for (let c = UNK; c < v; c++) s += (outW[row + c] as number) * (dLogits[c] as number);
    g[j] = s;
  }
  return g;
}
