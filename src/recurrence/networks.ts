/**
 * The recurrence types of the paper (section 2.1, Methods 4.1, Figure 1C-F)
 * added to a frozen feedforward core, and the one time loop they share.
 *
 * Step 0 is the feedforward pass, identical for every network. At each later
 * step, layer 1's activity r1 is updated by the type's rule, then layers 2-4
 * are recomputed from it (FB-PC keeps its own layer-2 state, as in Predify).
 * With `d1 = conv1(x) + b1`:
 *
 * | type  | update for t ≥ 1 |
 * |-------|------------------|
 * | FB-TT, FB-R | r1 = ReLU(d1 + F(r2(t−1))), F a 5x5 stride-2 transposed conv 64 → 32 |
 * | LR-TT, LR-R | r1 = ReLU(d1 + L(r1(t−1))), L a 7x7 conv 32 → 32 |
 * | LR-SS | r1 = ReLU(d1 + k ⊛ r1(t−1)), k a difference of Gaussians per feature map |
 * | FB-PC | r1 = β·ReLU(d1) + λ·P(r2(t−1)) + (1−β−λ)·r1(t−1);
 *           r2 = β·layer2(r1) + (1−β)·r2(t−1) − (α/√C)·∂‖P(r2(t−1)) − r1(t−1)‖²/∂r2 |
 * | Grads | r1 = r1 − η·∂CE/∂r1 (per image, true label), one step |
 *
 * "Steps" counts time steps including step 0: 3 for the task-trained,
 * random and surround networks (a feedforward pass and two rounds of
 * recurrence, Methods 4.1), 13 for FB-PC, 2 for Grads.
 */
import * as tf from '@tensorflow/tfjs';
import { CoreTaps, CoreWeights, crossEntropy, headFromR2, layer1Drive, layer2FromR1 } from '../model/core';
import { Rng } from '../random';

export const RECURRENCE_TYPES = ['FB-TT', 'LR-TT', 'FB-PC', 'LR-SS', 'FB-R', 'LR-R', 'Grads'] as const;
export type RecurrenceType = (typeof RECURRENCE_TYPES)[number];

/** What kind of connection a type adds, and how it gets its weights. */
export interface RecurrenceSpec {
  anatomy: 'feedback' | 'lateral' | 'gradient';
  /** How the weights are obtained. */
  origin: 'task-trained' | 'reconstruction-trained' | 'fixed' | 'random' | 'none';
  /** Time steps including step 0. */
  steps: number;
  /** Whether two instantiations (seeds) exist per core. */
  instances: 1 | 2;
}

export const RECURRENCE_SPECS: Record<RecurrenceType, RecurrenceSpec> = {
  'FB-TT': { anatomy: 'feedback', origin: 'task-trained', steps: 3, instances: 2 },
  'LR-TT': { anatomy: 'lateral', origin: 'task-trained', steps: 3, instances: 2 },
  'FB-PC': { anatomy: 'feedback', origin: 'reconstruction-trained', steps: 13, instances: 2 },
  'LR-SS': { anatomy: 'lateral', origin: 'fixed', steps: 3, instances: 1 },
  'FB-R': { anatomy: 'feedback', origin: 'random', steps: 3, instances: 2 },
  'LR-R': { anatomy: 'lateral', origin: 'random', steps: 3, instances: 2 },
  Grads: { anatomy: 'gradient', origin: 'none', steps: 2, instances: 1 },
};

export function assertRecurrenceType(type: string): asserts type is RecurrenceType {
  if (!(RECURRENCE_TYPES as readonly string[]).includes(type)) {
    throw new Error(`unknown recurrence type '${type}': expected one of ${RECURRENCE_TYPES.join(', ')}`);
  }
}

/** Shapes of the recurrent weights. */
export const FEEDBACK_SHAPE = [5, 5, 32, 64] as const; // conv2dTranspose filter: [h, w, out = 32, in = 64]
export const LATERAL_SHAPE = [7, 7, 32, 32] as const;
export const SURROUND_SIZE = 7;

/** Options of the predictive-feedback dynamics (Choksi et al., Predify), defaults from the paper. */
export interface PredictiveOptions {
  /** Weight of the error-gradient term (paper: α = 1). */
  alpha: number;
  /** Weight of the feedback prediction (paper: λ = .7). */
  lambda: number;
  /** Weight of the feedforward drive (paper: β = .2). */
  beta: number;
  /**
   * Predify's PCoderN normalisation of the error gradient, `numel / √C` for
   * the mean squared error, i.e. `1/√C` per element of the summed error; C
   * is the number of prediction elements one unit of r2 reaches. `false`
   * uses the plain gradient of the mean error (then α = 1 does almost nothing).
   */
  scaleError: boolean;
}

export const DEFAULT_PREDICTIVE: PredictiveOptions = { alpha: 1, lambda: 0.7, beta: 0.2, scaleError: true };

/** A recurrent network: a frozen core plus the type's weights and options. */
export interface RecurrentNetwork {
  type: RecurrenceType;
  core: CoreWeights;
  /**
   * FB-TT/FB-R: `{ feedback [5,5,32,64] }`; LR-TT/LR-R: `{ lateral [7,7,32,32] }`;
   * LR-SS: `{ surround [7,7,32,1] }`; FB-PC: `{ decoder [5,5,32,64], decoderBias [32] }`; Grads: `{}`.
   */
  params: Record<string, tf.Tensor>;
  /** Time steps including step 0. */
  steps: number;
  predictive: PredictiveOptions;
  /** Grads: step size on layer-1 activity. */
  gradStep: number;
}

/** Activity of every layer at one time step (r3 and logits only where the head was computed). */
export interface StepTaps {
  step: number;
  r1: tf.Tensor4D;
  r2: tf.Tensor4D;
  r3: tf.Tensor2D | null;
  logits: tf.Tensor2D | null;
}

/** Options for {@link runDynamics}. */
export interface DynamicsOptions {
  /** Integer labels `[batch]` (required by Grads). */
  labels?: tf.Tensor1D;
  /** Steps whose r3 and logits are computed (default: all). Training needs only the last. */
  headAt?: (step: number) => boolean;
  /** Steps whose taps are returned (default: all); others are disposed as the loop goes. */
  keep?: (step: number) => boolean;
}

/** The prediction of r1 from r2 by the FB-PC decoder: `[b,14,14,64]` → `[b,28,28,32]`. */
export function predictR1(params: Record<string, tf.Tensor>, r2: tf.Tensor4D): tf.Tensor4D {
  const [b] = r2.shape;
  return tf.tidy(() => tf.add(tf.conv2dTranspose(r2, param4(params, 'decoder'), [b, 28, 28, 32], 2, 'same'), param(params, 'decoderBias')) as tf.Tensor4D);
}

/**
 * The number of prediction elements one unit of r2 reaches through the
 * decoder (Predify's C), counted from the decoder's Jacobian at a probe unit.
 */
export function decoderReach(params: Record<string, tf.Tensor>): number {
  return tf.tidy(() => {
    const probe = tf.buffer<tf.Rank.R4>([1, 14, 14, 64]);
    probe.set(1, 0, 7, 7, 32);
    const out = tf.conv2dTranspose(probe.toTensor(), param4(params, 'decoder'), [1, 28, 28, 32], 2, 'same');
    return tf.sum(tf.cast(tf.notEqual(out, 0), 'float32')).dataSync()[0]!;
  });
}

function param(params: Record<string, tf.Tensor>, name: string): tf.Tensor {
  const t = params[name];
  if (!t) throw new Error(`recurrent network has no parameter '${name}' (has ${Object.keys(params).join(', ') || 'none'})`);
  return t;
}

function param4(params: Record<string, tf.Tensor>, name: string): tf.Tensor4D {
  return param(params, name) as tf.Tensor4D;
}

/**
 * THE time loop: runs a network on images `x` `[batch, 28, 28, 1]` for its
 * number of steps and returns the taps of the kept steps. Every recurrence
 * type goes through here; no analysis re-implements the network.
 */
export function runDynamics(net: RecurrentNetwork, x: tf.Tensor4D, options: DynamicsOptions = {}): StepTaps[] {
  const { headAt = () => true, keep = () => true } = options;
  const { core, params, predictive: pc } = net;
  if (net.type === 'Grads' && !options.labels) throw new Error('runDynamics(Grads): labels are required');
  const taps: StepTaps[] = [];
  const d1 = layer1Drive(core, x);
  const ff1 = tf.relu(d1);
  let r1: tf.Tensor4D = ff1;
  let r2 = layer2FromR1(core, r1);
  const errorScale = net.type === 'FB-PC' && pc.scaleError ? 1 / Math.sqrt(decoderReach(params)) : 0;
  const record = (step: number) => {
    if (!keep(step)) return;
    const head = headAt(step) ? headFromR2(core, r2) : null;
    taps.push({ step, r1: tf.clone(r1), r2: tf.clone(r2), r3: head?.r3 ?? null, logits: head?.logits ?? null });
  };
  const scope = (fn: () => { r1: tf.Tensor4D; r2: tf.Tensor4D }) => {
    // Keep only the new state; everything else made in the step goes.
    const next = tf.tidy(fn);
    if (r1 !== ff1) r1.dispose();
    r2.dispose();
    r1 = next.r1;
    r2 = next.r2;
  };
  record(0);
  for (let t = 1; t < net.steps; t++) {
    switch (net.type) {
      case 'FB-TT':
      case 'FB-R':
        scope(() => {
          const fb = tf.conv2dTranspose(r2, param4(params, 'feedback'), [x.shape[0], 28, 28, 32], 2, 'same');
          const n1 = tf.relu(tf.add(d1, fb)) as tf.Tensor4D;
          return { r1: n1, r2: layer2FromR1(core, n1) };
        });
        break;
      case 'LR-TT':
      case 'LR-R':
        scope(() => {
          const n1 = tf.relu(tf.add(d1, tf.conv2d(r1, param4(params, 'lateral'), 1, 'same'))) as tf.Tensor4D;
          return { r1: n1, r2: layer2FromR1(core, n1) };
        });
        break;
      case 'LR-SS':
        scope(() => {
          const n1 = tf.relu(tf.add(d1, tf.depthwiseConv2d(r1, param4(params, 'surround'), 1, 'same'))) as tf.Tensor4D;
          return { r1: n1, r2: layer2FromR1(core, n1) };
        });
        break;
      case 'FB-PC':
        scope(() => {
          const prediction = predictR1(params, r2);
          const n1 = tf.addN([tf.mul(ff1, pc.beta), tf.mul(prediction, pc.lambda), tf.mul(r1, 1 - pc.beta - pc.lambda)]) as tf.Tensor4D;
          // ∂‖P(r2) − r1‖²/∂r2 = 2·Pᵀ(P(r2) − r1); the adjoint of the transposed conv is the conv.
          const errorGrad = tf.mul(tf.conv2d(tf.sub(prediction, r1) as tf.Tensor4D, param4(params, 'decoder'), 2, 'same'), 2);
          const scale = pc.scaleError ? errorScale : 1 / prediction.size;
          const n2 = tf.sub(tf.add(tf.mul(layer2FromR1(core, n1), pc.beta), tf.mul(r2, 1 - pc.beta)), tf.mul(errorGrad, pc.alpha * scale)) as tf.Tensor4D;
          return { r1: n1, r2: n2 };
        });
        break;
      case 'Grads': {
        const labels = options.labels!;
        scope(() => {
          // Summed (per-image) cross-entropy, so each image's step does not depend on the batch size.
          const g = tf.grad((a: tf.Tensor) => tf.mul(crossEntropy(headFromR2(core, layer2FromR1(core, a as tf.Tensor4D)).logits, labels), a.shape[0]!))(r1);
          const n1 = tf.sub(r1, tf.mul(g, net.gradStep)) as tf.Tensor4D;
          return { r1: n1, r2: layer2FromR1(core, n1) };
        });
        break;
      }
    }
    record(t);
  }
  d1.dispose();
  if (r1 !== ff1) r1.dispose();
  ff1.dispose();
  r2.dispose();
  return taps;
}

/** Disposes every tensor of a list of taps. */
export function disposeTaps(taps: StepTaps[]): void {
  for (const t of taps) tf.dispose([t.r1, t.r2, ...(t.r3 ? [t.r3] : []), ...(t.logits ? [t.logits] : [])]);
}

/** The logits at the last step (training uses only these). */
export function finalLogits(net: RecurrentNetwork, x: tf.Tensor4D, labels?: tf.Tensor1D): tf.Tensor2D {
  const last = net.steps - 1;
  const taps = runDynamics(net, x, { labels, headAt: (s) => s === last, keep: (s) => s === last });
  const tap = taps[0]!;
  tf.dispose([tap.r1, tap.r2, ...(tap.r3 ? [tap.r3] : [])]);
  return tap.logits!;
}

/**
 * Predicted classes of images `pixels` `[n, 28, 28]` at the steps `at` selects,
 * computed in batches: `out[k][i]` is image i's class at the k-th selected step
 * (in step order). Labels are needed by Grads only.
 */
export function predictAtSteps(
  net: RecurrentNetwork, pixels: Float32Array, labels: Uint8Array | Int32Array, at: (step: number) => boolean = () => true, batchSize = 200,
): Int32Array[] {
  const n = labels.length;
  const out: Int32Array[] = [];
  for (let s = 0; s < n; s += batchSize) {
    const m = Math.min(batchSize, n - s);
    const batch = tf.tidy(() => {
      const x = tf.tensor4d(pixels.subarray(s * 784, (s + m) * 784), [m, 28, 28, 1]);
      const taps = runDynamics(net, x, { labels: tf.tensor1d(labels.subarray(s, s + m), 'int32'), headAt: at, keep: at });
      const classes = taps.map((t) => tf.argMax(t.logits!, 1).dataSync() as Int32Array);
      disposeTaps(taps);
      return classes;
    });
    batch.forEach((c, k) => {
      if (!out[k]) out[k] = new Int32Array(n);
      out[k]!.set(c, s);
    });
  }
  return out;
}

/** Taps of a network in the shape of the core's (for code that reads layers by name). */
export function tapsAsCore(t: StepTaps): Partial<CoreTaps> {
  return { r1: t.r1, r2: t.r2, ...(t.r3 ? { r3: t.r3 } : {}), ...(t.logits ? { logits: t.logits } : {}) };
}

/**
 * The difference-of-Gaussians surround kernel `[7, 7, channels, 1]` for a
 * depthwise conv: `G(σe) − G(σi)` with normalised 2-D Gaussians, divided by
 * its centre value (centre weight 1), the same for every feature map.
 */
export function surroundKernel(sigmaExc: number, sigmaInh: number, channels = 32, size = SURROUND_SIZE): tf.Tensor4D {
  if (!(sigmaExc > 0 && sigmaInh > 0)) throw new Error(`surroundKernel: widths must be positive, got ${sigmaExc}, ${sigmaInh}`);
  const r = (size - 1) / 2;
  const g = (s: number, d2: number) => Math.exp(-d2 / (2 * s * s)) / (2 * Math.PI * s * s);
  const centre = g(sigmaExc, 0) - g(sigmaInh, 0);
  if (centre <= 0) throw new Error(`surroundKernel: centre value ${centre} ≤ 0 (σe ${sigmaExc} must be smaller than σi ${sigmaInh})`);
  const k = new Float32Array(size * size * channels);
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      const v = (g(sigmaExc, (i - r) ** 2 + (j - r) ** 2) - g(sigmaInh, (i - r) ** 2 + (j - r) ** 2)) / centre;
      for (let c = 0; c < channels; c++) k[(i * size + j) * channels + c] = v;
    }
  }
  return tf.tensor4d(k, [size, size, channels, 1]);
}

/** Initial weights of a trainable type: truncated normal of s.d. `sd` (paper: .001), seeded. */
export function initRecurrentParams(type: RecurrenceType, seed: number, sd = 0.001): Record<string, tf.Tensor> {
  switch (type) {
    case 'FB-TT':
      return { feedback: tf.truncatedNormal([...FEEDBACK_SHAPE], 0, sd, 'float32', seed) };
    case 'LR-TT':
      return { lateral: tf.truncatedNormal([...LATERAL_SHAPE], 0, sd, 'float32', seed) };
    case 'FB-PC':
      return { decoder: tf.truncatedNormal([...FEEDBACK_SHAPE], 0, sd, 'float32', seed), decoderBias: tf.zeros([32]) };
    default:
      throw new Error(`initRecurrentParams: ${type} has no trained weights`);
  }
}

/**
 * Weights of a random control: Gaussian with the same Frobenius norm as the
 * trained counterpart (FB-R ↔ FB-TT, LR-R ↔ LR-TT of the same core and instance).
 */
export function randomControlParams(trained: tf.Tensor, seed: number): tf.Tensor {
  const rng = new Rng(seed);
  const data = new Float32Array(trained.size);
  for (let i = 0; i < data.length; i++) data[i] = rng.normal();
  return tf.tidy(() => {
    const r = tf.tensor(data, trained.shape);
    return tf.mul(r, tf.div(tf.norm(trained), tf.norm(r)));
  });
}

/** Builds a network object (the weights are used, not copied). */
export function makeNetwork(type: RecurrenceType, core: CoreWeights, params: Record<string, tf.Tensor>, options: { predictive?: Partial<PredictiveOptions>; gradStep?: number } = {}): RecurrentNetwork {
  assertRecurrenceType(type);
  return {
    type,
    core,
    params,
    steps: RECURRENCE_SPECS[type].steps,
    predictive: { ...DEFAULT_PREDICTIVE, ...options.predictive },
    gradStep: options.gradStep ?? 1,
  };
}
