/**
 * The update rules of the recurrence types (section 2.1, Methods 4.1,
 * Figure 1C-F): one small object per type, holding its weights as typed
 * fields, with the update it applies at every time step t ≥ 1. The time loop
 * ({@link runDynamics} in `./networks`) is written once and knows none of them.
 *
 * With `d1 = conv1(x) + b1` the feedforward drive of layer 1:
 *
 * | type  | update for t ≥ 1 |
 * |-------|------------------|
 * | FB-TT, FB-R | r1 = ReLU(d1 + F(r2(t−1))), F a 5x5 stride-2 transposed conv 64 → 32 |
 * | LR-TT, LR-R | r1 = ReLU(d1 + L(r1(t−1))), L a 7x7 conv 32 → 32 |
 * | LR-SS | r1 = ReLU(d1 + k ⊛ r1(t−1)), k a difference of Gaussians per feature map |
 * | FB-PC | r1 = β·ReLU(d1) + λ·P(r2(t−1)) + (1−β−λ)·r1(t−1);
 *           r2 = β·layer2(r1) + (1−β)·r2(t−1) − (α/√C)·∂‖P(r2(t−1)) − r1(t−1)‖²/∂r2 |
 * | Grads | r1 = r1 − η·∂CE/∂r1 (per image, true label), one step |
 * | LR-GRCL | r1 = ReLU(d1 + σ(B(r1(t−1)) + C(r1(0)) + c) ⊙ L(r1(t−1))), B, C 1x1 convs (`./gated`) |
 *
 * and layers 2-4 recomputed from the new r1 (FB-PC keeps its own layer-2
 * state, as Predify does). The feedforward network (`FF`) has no update: it is
 * step 0 of every other network.
 *
 * Adding a recurrence type means adding one rule class and one entry of
 * {@link RECURRENCE_SPECS}; the loop, the training, the stages and the
 * figures read the table.
 */
import * as tf from '@tensorflow/tfjs';
import { checkNumber, ArgumentError } from '../check';
import { CoreWeights, crossEntropy, headFromR2, layer2FromR1 } from '../model/core';
import { hashInts } from '../random';
import { GATED_LATERAL_SHAPES, GatedLateralRule } from './gated';

/**
 * The paper's types in its order, then LR-GRCL (Azeglio et al.'s gate on
 * LR-TT). Appended rather than placed beside LR-TT: a type's position seeds its
 * trained weights (`recurrenceSeed`), so inserting it would change the seeds,
 * and the cached weights, of every trained type after it.
 */
export const RECURRENCE_TYPES = ['FB-TT', 'LR-TT', 'FB-PC', 'LR-SS', 'FB-R', 'LR-R', 'Grads', 'LR-GRCL'] as const;
export type RecurrenceType = (typeof RECURRENCE_TYPES)[number];
/** Every network the loop runs: a recurrence type, or the feedforward core alone. */
export type NetworkType = RecurrenceType | 'FF';

/** The activity the rules update: layers 1 and 2, post-ReLU, pre-pool (a type alias, so `tf.tidy` can return it). */
export type LayerState = {
  /** `[batch, 28, 28, 32]`. */
  r1: tf.Tensor4D;
  /** `[batch, 14, 14, 64]`. */
  r2: tf.Tensor4D;
};

/** What a rule may read at every step besides the state: fixed over time. */
export interface StepInput {
  core: CoreWeights;
  /** Layer 1's feedforward drive `d1 = conv1(x) + b1` (pre-ReLU). */
  drive: tf.Tensor4D;
  /** `ReLU(d1)`: layer 1 at step 0. */
  feedforward: tf.Tensor4D;
  /** Integer labels `[batch]` (the Grads rule needs them). */
  labels?: tf.Tensor1D;
}

/** One type's update with its weights. */
export interface UpdateRule {
  readonly type: NetworkType;
  /** Time steps including step 0. */
  readonly timeSteps: number;
  /** The state at step t from the state at t − 1 (t ≥ 1). Called inside a `tf.tidy`. */
  update(input: StepInput, state: LayerState): LayerState;
  /** The tensors the rule owns, by name (to save, train and dispose them). */
  tensors(): Record<string, tf.Tensor>;
}

/** Settings of the untrained rules, found by tuning or given by the paper. */
export interface RuleSettings {
  /** LR-SS: widths of the excitatory and inhibitory Gaussians. */
  surround: { sigmaExc: number; sigmaInh: number };
  /** Grads: step size η on layer-1 activity. */
  gradStep: number;
  /** FB-PC dynamics. */
  predictive: PredictiveOptions;
}

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
  /**
   * Rectify the decoder's prediction, P(r2) = ReLU(Pᵀconv(r2) + b): Predify's
   * form for a post-ReLU target (`Sequential(ConvTranspose2d, ReLU)` in its
   * PVGG16 network). `false`: a linear decoder (this project's form before the
   * fidelity study).
   */
  decoderRelu: boolean;
  /**
   * Rectify both states after every step, r1 = ReLU(·), r2 = ReLU(·). Predify
   * rectifies nothing (its states replace post-ReLU activity and the error
   * term can push r2 below 0); absent means false, so profiles without the
   * field keep their cache keys.
   */
  rectifyState?: boolean;
}

/** Checks FB-PC's options: α ≥ 0; λ, β and 1 − β − λ in [0, 1]. */
export function checkPredictiveOptions(o: PredictiveOptions, where: string): void {
  checkNumber(o.alpha, `${where}.alpha`, { min: 0 });
  checkNumber(o.lambda, `${where}.lambda`, { min: 0, max: 1 });
  checkNumber(o.beta, `${where}.beta`, { min: 0, max: 1 - o.lambda });
  if (typeof o.scaleError !== 'boolean') throw new ArgumentError(`${where}.scaleError: ${JSON.stringify(o.scaleError)}, expected true or false`);
  if (typeof o.decoderRelu !== 'boolean') throw new ArgumentError(`${where}.decoderRelu: ${JSON.stringify(o.decoderRelu)}, expected true or false`);
  if (o.rectifyState !== undefined && typeof o.rectifyState !== 'boolean') throw new ArgumentError(`${where}.rectifyState: ${JSON.stringify(o.rectifyState)}, expected true, false or absent`);
}

export const DEFAULT_PREDICTIVE: PredictiveOptions = { alpha: 1, lambda: 0.7, beta: 0.2, scaleError: true, decoderRelu: true };

/** Default settings: the paper's surround widths, η = 1, the paper's FB-PC options. */
export const DEFAULT_RULE_SETTINGS: RuleSettings = { surround: { sigmaExc: 1.2, sigmaInh: 1.68 }, gradStep: 1, predictive: DEFAULT_PREDICTIVE };

/** Shapes of the recurrent weights. */
export const FEEDBACK_SHAPE = [5, 5, 32, 64] as const; // conv2dTranspose filter: [h, w, out = 32, in = 64]
export const LATERAL_SHAPE = [7, 7, 32, 32] as const;
export const SURROUND_SIZE = 7;

/** Layer 1 from a drive added to d1, then layer 2 from it: the update of every additive rule. */
function additiveUpdate(input: StepInput, recurrentDrive: tf.Tensor4D): LayerState {
  const r1 = tf.relu(tf.add(input.drive, recurrentDrive)) as tf.Tensor4D;
  return { r1, r2: layer2FromR1(input.core, r1) };
}

/** The transposed convolution r2 `[b,14,14,64]` → `[b,28,28,32]` of the feedback types and the FB-PC decoder. */
function feedbackConv(r2: tf.Tensor4D, filter: tf.Tensor4D): tf.Tensor4D {
  return tf.conv2dTranspose(r2, filter, [r2.shape[0], 28, 28, 32], 2, 'same');
}

/** The feedforward core alone: one time step, no update. */
export class FeedforwardRule implements UpdateRule {
  readonly type = 'FF';
  readonly timeSteps = 1;
  update(): LayerState {
    throw new Error('FeedforwardRule: the feedforward network has no time step after step 0');
  }
  tensors(): Record<string, tf.Tensor> {
    return {};
  }
}

/** FB-TT and FB-R: feedback from layer 2 through a transposed convolution. */
export class FeedbackRule implements UpdateRule {
  readonly timeSteps = 3;
  constructor(readonly type: 'FB-TT' | 'FB-R', readonly feedback: tf.Tensor4D) {
    assertShape(type, 'feedback', feedback, FEEDBACK_SHAPE);
  }
  update(input: StepInput, state: LayerState): LayerState {
    return additiveUpdate(input, feedbackConv(state.r2, this.feedback));
  }
  tensors(): Record<string, tf.Tensor> {
    return { feedback: this.feedback };
  }
}

/** LR-TT and LR-R: lateral connections among layer-1 maps. */
export class LateralRule implements UpdateRule {
  readonly timeSteps = 3;
  constructor(readonly type: 'LR-TT' | 'LR-R', readonly lateral: tf.Tensor4D) {
    assertShape(type, 'lateral', lateral, LATERAL_SHAPE);
  }
  update(input: StepInput, state: LayerState): LayerState {
    return additiveUpdate(input, tf.conv2d(state.r1, this.lateral, 1, 'same'));
  }
  tensors(): Record<string, tf.Tensor> {
    return { lateral: this.lateral };
  }
}

/** LR-SS: a fixed difference-of-Gaussians surround within each feature map. */
export class SurroundRule implements UpdateRule {
  readonly type = 'LR-SS';
  readonly timeSteps = 3;
  readonly surround: tf.Tensor4D;
  constructor(readonly sigmaExc: number, readonly sigmaInh: number) {
    this.surround = surroundKernel(sigmaExc, sigmaInh);
  }
  update(input: StepInput, state: LayerState): LayerState {
    return additiveUpdate(input, tf.depthwiseConv2d(state.r1, this.surround, 1, 'same'));
  }
  tensors(): Record<string, tf.Tensor> {
    return { surround: this.surround };
  }
}

/**
 * FB-PC: Predify's predictive feedback (PCoderN, Choksi et al.) on two layers,
 * with a trained decoder P: r2 → r1. As in Predify's code, layers update
 * bottom to top: r1 takes the prediction made from r2 at t − 1; r2's
 * feedforward drive is recomputed from the new r1; r2's error term is the
 * gradient of its own prediction error at t − 1 (it moves the predicting
 * layer). r1 has no error term (the paper trained no image decoder), r2 no
 * feedback term (it is the top). Nothing rectifies the states, as in Predify,
 * unless `rectifyState` asks for it (a study's variant). Tested step by step against an independent
 * PyTorch implementation (`test/golden/make_fbpc_golden.py`).
 */
export class PredictiveRule implements UpdateRule {
  readonly type = 'FB-PC';
  readonly timeSteps = 13;
  /** Predify's `1/√C` (see {@link PredictiveOptions.scaleError}). */
  readonly errorScale: number;
  constructor(readonly decoder: tf.Tensor4D, readonly decoderBias: tf.Tensor1D, readonly options: PredictiveOptions) {
    assertShape('FB-PC', 'decoder', decoder, FEEDBACK_SHAPE);
    assertShape('FB-PC', 'decoderBias', decoderBias, [32]);
    this.errorScale = options.scaleError ? 1 / Math.sqrt(decoderReach(decoder, options.decoderRelu ? decoderBias : null)) : 0;
  }
  /** The decoder before its rectification: `[b,14,14,64]` → `[b,28,28,32]`. */
  private preActivation(r2: tf.Tensor4D): tf.Tensor4D {
    return tf.add(feedbackConv(r2, this.decoder), this.decoderBias) as tf.Tensor4D;
  }
  /** The prediction of r1 from r2: `[b,14,14,64]` → `[b,28,28,32]`. */
  predict(r2: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const pre = this.preActivation(r2);
      return this.options.decoderRelu ? tf.relu(pre) : pre;
    });
  }
  update(input: StepInput, state: LayerState): LayerState {
    const { alpha, beta, lambda, scaleError, decoderRelu, rectifyState = false } = this.options;
    const rectify = (x: tf.Tensor4D) => (rectifyState ? (tf.relu(x) as tf.Tensor4D) : x);
    const pre = this.preActivation(state.r2);
    const prediction = decoderRelu ? (tf.relu(pre) as tf.Tensor4D) : pre;
    const r1 = rectify(tf.addN([tf.mul(input.feedforward, beta), tf.mul(prediction, lambda), tf.mul(state.r1, 1 - beta - lambda)]) as tf.Tensor4D);
    // ∂‖P(r2) − r1‖²/∂r2 = 2·Jᵀ(P(r2) − r1), J = (ReLU mask) ∘ (transposed conv); the adjoint of the transposed conv is the conv.
    const residual = tf.sub(prediction, state.r1) as tf.Tensor4D;
    const masked = decoderRelu ? (tf.mul(residual, tf.cast(tf.greater(pre, 0), 'float32')) as tf.Tensor4D) : residual;
    const errorGrad = tf.mul(tf.conv2d(masked, this.decoder, 2, 'same'), 2);
    const scale = scaleError ? this.errorScale : 1 / prediction.size;
    const r2 = tf.sub(tf.add(tf.mul(layer2FromR1(input.core, r1), beta), tf.mul(state.r2, 1 - beta)), tf.mul(errorGrad, alpha * scale)) as tf.Tensor4D;
    return { r1, r2: rectify(r2) };
  }
  tensors(): Record<string, tf.Tensor> {
    return { decoder: this.decoder, decoderBias: this.decoderBias };
  }
}

/** Grads: one step down the gradient of each image's cross-entropy with respect to r1. */
export class GradientRule implements UpdateRule {
  readonly type = 'Grads';
  readonly timeSteps = 2;
  constructor(readonly gradStep: number) {
    if (!(gradStep > 0)) throw new Error(`Grads: the step size must be positive, got ${gradStep}`);
  }
  update(input: StepInput, state: LayerState): LayerState {
    const { core, labels } = input;
    if (!labels) throw new Error('Grads: labels are required (the gradient uses the true label)');
    // Summed (per-image) cross-entropy, so each image's step does not depend on the batch size.
    const loss = (a: tf.Tensor) => tf.mul(crossEntropy(headFromR2(core, layer2FromR1(core, a as tf.Tensor4D)).logits, labels), a.shape[0]!);
    const r1 = tf.sub(state.r1, tf.mul(tf.grad(loss)(state.r1), this.gradStep)) as tf.Tensor4D;
    return { r1, r2: layer2FromR1(core, r1) };
  }
  tensors(): Record<string, tf.Tensor> {
    return {};
  }
}

/** How a type gets its weights. */
export type RecurrenceOrigin = 'task-trained' | 'reconstruction-trained' | 'fixed' | 'random' | 'none';

/** A recurrence type: what it is, how its weights come about, and how its rule is built. */
export interface RecurrenceSpec {
  anatomy: 'feedback' | 'lateral' | 'gradient';
  origin: RecurrenceOrigin;
  /** Time steps including step 0. */
  timeSteps: number;
  /** Instantiations (seeds) per core. */
  instances: 1 | 2;
  /** Random controls: the task-trained type whose weights' norm they match. */
  controlOf?: RecurrenceType;
  /** Trained types: initial weights by name (seeded; the paper's init s.d. is .001). */
  init?: (seed: number, sd: number) => Record<string, tf.Tensor>;
  /** Builds the rule from named weights (checked) and settings. Untrained types ignore the weights. */
  rule: (weights: Record<string, tf.Tensor>, settings: RuleSettings) => UpdateRule;
}

const truncatedNormal = (shape: readonly number[], sd: number, seed: number) => tf.truncatedNormal([...shape], 0, sd, 'float32', seed);

/** The table of recurrence types, in the paper's order. */
export const RECURRENCE_SPECS: Record<RecurrenceType, RecurrenceSpec> = {
  'FB-TT': {
    anatomy: 'feedback', origin: 'task-trained', timeSteps: 3, instances: 2,
    init: (seed, sd) => ({ feedback: truncatedNormal(FEEDBACK_SHAPE, sd, seed) }),
    rule: (w) => new FeedbackRule('FB-TT', weight4(w, 'FB-TT', 'feedback')),
  },
  'LR-TT': {
    anatomy: 'lateral', origin: 'task-trained', timeSteps: 3, instances: 2,
    init: (seed, sd) => ({ lateral: truncatedNormal(LATERAL_SHAPE, sd, seed) }),
    rule: (w) => new LateralRule('LR-TT', weight4(w, 'LR-TT', 'lateral')),
  },
  'FB-PC': {
    anatomy: 'feedback', origin: 'reconstruction-trained', timeSteps: 13, instances: 2,
    init: (seed, sd) => ({ decoder: truncatedNormal(FEEDBACK_SHAPE, sd, seed), decoderBias: tf.zeros([32]) }),
    rule: (w, s) => new PredictiveRule(weight4(w, 'FB-PC', 'decoder'), weight(w, 'FB-PC', 'decoderBias') as tf.Tensor1D, s.predictive),
  },
  'LR-SS': {
    anatomy: 'lateral', origin: 'fixed', timeSteps: 3, instances: 1,
    rule: (_w, s) => new SurroundRule(s.surround.sigmaExc, s.surround.sigmaInh),
  },
  'FB-R': {
    anatomy: 'feedback', origin: 'random', timeSteps: 3, instances: 2, controlOf: 'FB-TT',
    rule: (w) => new FeedbackRule('FB-R', weight4(w, 'FB-R', 'feedback')),
  },
  'LR-R': {
    anatomy: 'lateral', origin: 'random', timeSteps: 3, instances: 2, controlOf: 'LR-TT',
    rule: (w) => new LateralRule('LR-R', weight4(w, 'LR-R', 'lateral')),
  },
  Grads: {
    anatomy: 'gradient', origin: 'none', timeSteps: 2, instances: 1,
    rule: (_w, s) => new GradientRule(s.gradStep),
  },
  'LR-GRCL': {
    anatomy: 'lateral', origin: 'task-trained', timeSteps: 3, instances: 2,
    // L as LR-TT's; B and C from their own seeds; c = 0, so the gate starts half open.
    init: (seed, sd) => ({
      lateral: truncatedNormal(GATED_LATERAL_SHAPES.lateral, sd, seed),
      gateRecurrent: truncatedNormal(GATED_LATERAL_SHAPES.gateRecurrent, sd, hashInts(seed, 1)),
      gateFeedforward: truncatedNormal(GATED_LATERAL_SHAPES.gateFeedforward, sd, hashInts(seed, 2)),
      gateBias: tf.zeros([...GATED_LATERAL_SHAPES.gateBias]),
    }),
    rule: (w) => new GatedLateralRule(
      weight4(w, 'LR-GRCL', 'lateral'), weight4(w, 'LR-GRCL', 'gateRecurrent'), weight4(w, 'LR-GRCL', 'gateFeedforward'), weight(w, 'LR-GRCL', 'gateBias') as tf.Tensor1D,
    ),
  },
};

export function assertRecurrenceType(type: string): asserts type is RecurrenceType {
  if (!(RECURRENCE_TYPES as readonly string[]).includes(type)) {
    throw new ArgumentError(`unknown recurrence type '${type}': expected one of ${RECURRENCE_TYPES.join(', ')}`);
  }
}

/** The types whose weights are trained (task- or reconstruction-trained), in table order. */
export function trainedTypes(): RecurrenceType[] {
  return RECURRENCE_TYPES.filter((t) => RECURRENCE_SPECS[t].init);
}

function weight(w: Record<string, tf.Tensor>, type: string, name: string): tf.Tensor {
  const t = w[name];
  if (!t) throw new Error(`${type}: missing weight '${name}' (given: ${Object.keys(w).join(', ') || 'none'})`);
  return t;
}

function weight4(w: Record<string, tf.Tensor>, type: string, name: string): tf.Tensor4D {
  const t = weight(w, type, name);
  if (t.rank !== 4) throw new Error(`${type}: weight '${name}' must have rank 4, got shape [${t.shape.join(', ')}]`);
  return t as tf.Tensor4D;
}

function assertShape(type: string, name: string, t: tf.Tensor, shape: readonly number[]): void {
  if (t.rank !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new Error(`${type}: weight '${name}' must have shape [${shape.join(', ')}], got [${t.shape.join(', ')}]`);
  }
}

/**
 * The number of prediction elements one unit of r2 reaches through the
 * decoder (Predify's C), counted as the non-zero entries of the decoder's
 * Jacobian with respect to a probe unit (channel 32, row 7, column 7) set to 1,
 * everything else 0 (Predify's `compute_C_sqrt`). With a rectifying decoder
 * (`bias` given) only outputs whose pre-activation is positive count.
 */
export function decoderReach(decoder: tf.Tensor4D, bias: tf.Tensor1D | null = null): number {
  return tf.tidy(() => {
    const probe = tf.buffer<tf.Rank.R4>([1, 14, 14, 64]);
    probe.set(1, 0, 7, 7, 32);
    const out = feedbackConv(probe.toTensor(), decoder);
    const reached = tf.notEqual(out, 0);
    const counted = bias ? tf.logicalAnd(reached, tf.greater(tf.add(out, bias), 0)) : reached;
    return tf.sum(tf.cast(counted, 'float32')).dataSync()[0]!;
  });
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
