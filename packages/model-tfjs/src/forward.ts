import * as tf from '@tensorflow/tfjs-core';
import { timeFeatureCount, timeFeaturesInto, type ModelConfig } from './config.js';

/** The denoiser's weights as tfjs tensors (variables while training). */
export type TensorParams = ReadonlyMap<string, tf.Tensor>;

function p(params: TensorParams, name: string): tf.Tensor {
  const t = params.get(name);
  if (t === undefined) throw new Error(`missing weight ${name}`);
  return t;
}

function layerNorm(x: tf.Tensor2D, g: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), g), b);
}

/**
 * x·w whose gradient uses explicit transposes: tfjs's own matMul gradient calls
 * matMul with transpose flags, measured ~10× slower on the wasm backend.
 */
const matMul = tf.customGrad(((x: tf.Tensor, w: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x, w]);
  return {
    value: tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sx, sw] = saved as [tf.Tensor2D, tf.Tensor2D];
      return [tf.matMul(dy as tf.Tensor2D, tf.transpose(sw)), tf.matMul(tf.transpose(sx), dy as tf.Tensor2D)];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D;

/**
 * x·w + b, then ReLU when asked. Inference uses tfjs's fused kernel (one op instead
 * of three); training the custom-gradient matMul.
 */
function dense(x: tf.Tensor2D, w: tf.Tensor, b: tf.Tensor, relu = false, training = false): tf.Tensor2D {
  if (!training) return tf.fused.matMul({ a: x, b: w as tf.Tensor2D, bias: b, activation: relu ? 'relu' : 'linear' }) as tf.Tensor2D;
  const y = tf.add(matMul(x, w as tf.Tensor2D), b) as tf.Tensor2D;
  return relu ? (tf.relu(y) as tf.Tensor2D) : y;
}

/** Shifts a [batch, len, d] sequence by `delta` positions (positive: x[i] ← x[i − delta]), zero-filled. */
function shift(x: tf.Tensor3D, delta: number): tf.Tensor3D {
  const [batch, len, d] = x.shape;
  if (delta > 0) return tf.slice(tf.pad(x, [[0, 0], [delta, 0], [0, 0]]), [0, 0, 0], [batch, len, d]);
  return tf.slice(tf.pad(x, [[0, 0], [0, -delta], [0, 0]]), [0, -delta, 0], [batch, len, d]);
}

/** The [batch, features] timestep features of one t per sequence. */
export function timeFeatures(config: ModelConfig, t: ArrayLike<number>): tf.Tensor2D {
  const f = timeFeatureCount(config);
  const data = new Float32Array(t.length * f);
  for (let i = 0; i < t.length; i++) timeFeaturesInto(config, t[i] as number, data, i * f);
  return tf.tensor2d(data, [t.length, f]);
}

/**
 * The trunk: token + position + timestep embeddings, then the dilated
 * convolution blocks and the final layer norm. tokens is [batch·seqLen] int32
 * (row-major), t one timestep per sequence. Returns [batch·seqLen, dim]: the
 * input of the LoRA-wrapped head layer. `training` embeds by a one-hot matMul
 * (differentiable on every backend) instead of a gather and uses matMuls whose
 * gradients avoid transpose flags.
 */
export function trunk(config: ModelConfig, params: TensorParams, tokens: tf.Tensor1D, t: ArrayLike<number>, training = false): tf.Tensor2D {
  const batch = t.length;
  const { seqLen: len, dim: d } = config;
  const tok = p(params, 'tok') as tf.Tensor2D;
  const emb = training ? matMul(tf.cast(tf.oneHot(tokens, config.vocabSize), 'float32') as tf.Tensor2D, tok) : tf.gather(tok, tokens);
  const time = dense(timeFeatures(config, t), p(params, 'time_w'), p(params, 'time_b'), false, training); // [batch, d]
  let h = tf.add(tf.add(tf.reshape(emb, [batch, len, d]), p(params, 'pos')), tf.reshape(time, [batch, 1, d])) as tf.Tensor3D;
  config.dilations.forEach((delta, i) => {
    const a = tf.reshape(layerNorm(tf.reshape(h, [batch * len, d]), p(params, `b${i}.ln_g`), p(params, `b${i}.ln_b`)), [batch, len, d]) as tf.Tensor3D;
    const taps = tf.reshape(tf.concat([shift(a, delta), a, shift(a, -delta)], 2), [batch * len, 3 * d]) as tf.Tensor2D;
    const c = dense(taps, p(params, `b${i}.conv_w`), p(params, `b${i}.conv_b`), true, training);
    const u = dense(c, p(params, `b${i}.up_w`), p(params, `b${i}.up_b`), true, training);
    h = tf.add(h, tf.reshape(dense(u, p(params, `b${i}.down_w`), p(params, `b${i}.down_b`), false, training), [batch, len, d]));
  });
  return layerNorm(tf.reshape(h, [batch * len, d]), p(params, 'lnf_g'), p(params, 'lnf_b'));
}

/** The head without adapters: logits = relu(x·W_head + b_head)·W_out + b_out. */
export function head(params: TensorParams, x: tf.Tensor2D, training = false): tf.Tensor2D {
  const z = dense(x, p(params, 'head_w'), p(params, 'head_b'), true, training);
  return dense(z, p(params, 'out_w'), p(params, 'out_b'), false, training);
}
