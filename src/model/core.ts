/**
 * The feedforward core of Table 1 (Methods 4.1):
 *
 * - layer1: conv 5x5, 1 → 32 maps, same padding, ReLU → r1 `[batch, 28, 28, 32]`, max-pool 2
 * - layer2: conv 5x5, 32 → 64 maps, same padding, ReLU → r2 `[batch, 14, 14, 64]`, max-pool 2
 * - layer3: dense 3136 → 1024, ReLU → r3 `[batch, 1024]`
 * - layer4: dense 1024 → 10 → logits `[batch, 10]` (softmax lives in the loss)
 *
 * Layer activity means the post-ReLU, pre-pool tensors r1, r2, r3 and the logits.
 * The recurrence code reuses {@link layer1Drive} and {@link forwardFromR1} so the
 * core is written once.
 */
import * as tf from '@tensorflow/tfjs';
import { IMAGE_SIZE, NUM_CLASSES } from '../data/mnist';

/** Names and shapes of the core's parameters. */
export const CORE_PARAM_SHAPES = {
  w1: [5, 5, 1, 32],
  b1: [32],
  w2: [5, 5, 32, 64],
  b2: [64],
  w3: [7 * 7 * 64, 1024],
  b3: [1024],
  w4: [1024, NUM_CLASSES],
  b4: [NUM_CLASSES],
} as const;

export type CoreParamName = keyof typeof CORE_PARAM_SHAPES;
export const CORE_PARAM_NAMES = Object.keys(CORE_PARAM_SHAPES) as CoreParamName[];

/** The core's parameters (tensors or variables). */
export type CoreWeights = Record<CoreParamName, tf.Tensor>;

/** Activity of every layer for one forward pass. */
export type CoreTaps = {
  /** Layer 1, post-ReLU, pre-pool: `[batch, 28, 28, 32]`. */
  r1: tf.Tensor4D;
  /** Layer 2, post-ReLU, pre-pool: `[batch, 14, 14, 64]`. */
  r2: tf.Tensor4D;
  /** Layer 3, post-ReLU: `[batch, 1024]`. */
  r3: tf.Tensor2D;
  /** Layer 4, pre-softmax: `[batch, 10]`. */
  logits: tf.Tensor2D;
};

/** Builds a weights object by calling `make` for every parameter name. */
export function mapCoreWeights(make: (name: CoreParamName) => tf.Tensor): CoreWeights {
  const out = {} as CoreWeights;
  for (const name of CORE_PARAM_NAMES) out[name] = make(name);
  return out;
}

/** Weights drawn from a truncated normal (sd `initSd`, default .02, as in Methods 4.1); biases zero. */
export function initCoreWeights(seed: number, initSd = 0.02): CoreWeights {
  return tf.tidy(() =>
    mapCoreWeights((name) => {
      const shape = [...CORE_PARAM_SHAPES[name]];
      const i = CORE_PARAM_NAMES.indexOf(name);
      return name.startsWith('w') ? tf.truncatedNormal(shape, 0, initSd, 'float32', seed * 16 + i) : tf.zeros(shape);
    }));
}

/** Checks that `x` is a batch of MNIST images `[batch, 28, 28, 1]`. */
export function assertImageBatch(fn: string, x: tf.Tensor): asserts x is tf.Tensor4D {
  if (x.rank !== 4 || x.shape[1] !== IMAGE_SIZE || x.shape[2] !== IMAGE_SIZE || x.shape[3] !== 1) {
    throw new Error(`${fn}: x must have shape [batch, 28, 28, 1], got [${x.shape.join(', ')}]`);
  }
}

/** The feedforward drive of layer 1, `d1 = conv1(x) + b1`, `[batch, 28, 28, 32]` (pre-ReLU). */
export function layer1Drive(w: CoreWeights, x: tf.Tensor4D): tf.Tensor4D {
  assertImageBatch('layer1Drive', x);
  return tf.tidy(() => tf.add(tf.conv2d(x, w.w1 as tf.Tensor4D, 1, 'same'), w.b1) as tf.Tensor4D);
}

/** Layer 2's activity from layer 1's: `r2 = ReLU(conv2(pool(r1)) + b2)`. */
export function layer2FromR1(w: CoreWeights, r1: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.fused.conv2d({ x: tf.maxPool(r1, 2, 2, 'same'), filter: w.w2 as tf.Tensor4D, strides: 1, pad: 'same', bias: w.b2, activation: 'relu' }));
}

/** Layers 3 and 4 from layer 2's activity. */
export function headFromR2(w: CoreWeights, r2: tf.Tensor4D): { r3: tf.Tensor2D; logits: tf.Tensor2D } {
  return tf.tidy(() => {
    const batch = r2.shape[0];
    const flat = tf.reshape(tf.maxPool(r2, 2, 2, 'same'), [batch, -1]);
    const r3 = tf.relu(tf.add(tf.matMul(flat, w.w3 as tf.Tensor2D), w.b3)) as tf.Tensor2D;
    const logits = tf.add(tf.matMul(r3, w.w4 as tf.Tensor2D), w.b4) as tf.Tensor2D;
    return { r3, logits };
  });
}

/** Layers 2 to 4 recomputed from a given layer-1 activity `r1` `[batch, 28, 28, 32]`. */
export function forwardFromR1(w: CoreWeights, r1: tf.Tensor4D): CoreTaps {
  return tf.tidy(() => {
    const r2 = layer2FromR1(w, r1);
    return { r1: tf.clone(r1), r2, ...headFromR2(w, r2) };
  });
}

/** The feedforward pass with every layer's activity. */
export function coreForward(w: CoreWeights, x: tf.Tensor4D): CoreTaps {
  return tf.tidy(() => forwardFromR1(w, tf.relu(layer1Drive(w, x))));
}

/** Logits only (the training and inference fast path: bias and ReLU fused into the convolutions). */
export function coreLogits(w: CoreWeights, x: tf.Tensor4D): tf.Tensor2D {
  assertImageBatch('coreLogits', x);
  return tf.tidy(() => {
    const r1 = tf.fused.conv2d({ x, filter: w.w1 as tf.Tensor4D, strides: 1, pad: 'same', bias: w.b1, activation: 'relu' });
    return headFromR2(w, layer2FromR1(w, r1)).logits;
  });
}

/** Mean softmax cross-entropy of logits `[batch, classes]` against integer labels `[batch]`. */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const oneHot = tf.oneHot(tf.cast(labels, 'int32'), logits.shape[1]);
    return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1))) as tf.Scalar;
  });
}

/** Disposes every tensor of a weights object. */
export function disposeWeights(w: Partial<Record<string, tf.Tensor>>): void {
  for (const t of Object.values(w)) t?.dispose();
}
