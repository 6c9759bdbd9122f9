/**
 * The gated recurrent convolutional layer (GRCL) of Azeglio et al., equation 1
 * (after Wang & Hu's GRCNN):
 *
 *     x_0 = A_0(u)
 *     g_t = B_t(x_{t-1}) + C(u)                    t = 1 … T
 *     x_t = x_{t-1} + σ(g_t) ⊙ A_t(x_{t-1})
 *
 * read as the journal GRCNN code reads it (`models/cifar/GRCNN.py`), with every
 * convolution pre-activation, `conv(ReLU(BN(·)))`:
 *
 * - A_0: BN-ReLU-conv 3x3, `inChannels → channels`;
 * - C: BN-ReLU-conv 1x1 with bias, `inChannels → channels`, computed once;
 * - B_t: BN_t-ReLU-conv 1x1, `channels → channels`, no bias; the convolution is
 *   shared across iterations, the batch norm is per iteration;
 * - A_t: a per-iteration bottleneck BN-ReLU-conv 1x1 (`channels → bottleneck`),
 *   BN-ReLU-conv 3x3, BN-ReLU-conv 1x1 (`bottleneck → channels`).
 *
 * A_0, B and C take `groups` channel groups as in the code (16 or 32 there);
 * the default here is 1 (full convolutions), see `preActConv.ts`.
 * Initialisation as in the code: He normal for A_0 and the bottlenecks, normal
 * with sd 0.01 for the gate convolutions B and C, biases 0, batch norm γ = 1, β = 0.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../random';
import { batchNorm, BatchNormWeights } from './batchNorm';
import { buildBatchNorm, buildPreActConv, groupedConv2d, NormModeOptions, preActConv, PreActConv } from './preActConv';
import { initSource, recordSource, WeightSource } from './weightSource';

/** Sizes of one GRCL. */
export interface GrclConfig {
  /** Channels of the input u. */
  inChannels: number;
  /** Channels of the state x_t (`planes · expansion` in the GRCNN code). */
  channels: number;
  /** Width of the bottleneck A_t (`planes` in the GRCNN code). */
  bottleneck: number;
  /** Iterations T with weights; each has its own A_t and its own batch norm in B_t. The paper uses 3. */
  iterations: number;
  /** Channel groups of A_0, B and C; 1 (full convolutions) when omitted. */
  groups?: number;
  /**
   * False for a GRCL without gate weights (no B, no C): the residual stack
   * x_t = x_{t-1} + A_t(x_{t-1}), the ungated control, trainable on its own. Default true.
   */
  gated?: boolean;
}

/** The update A_t: BN-ReLU-1x1, BN-ReLU-3x3, BN-ReLU-1x1. */
export interface Bottleneck {
  reduce: PreActConv;
  spatial: PreActConv;
  expand: PreActConv;
}

/** The gate's recurrent part B_t = conv(ReLU(BN_t(x))). */
export interface GrclGateRecurrent {
  /** The 1x1 convolution shared by every iteration, `[1, 1, channels / groups, channels]`. */
  filter: tf.Tensor4D;
  groups: number;
  /** BN_1 … BN_T. */
  norms: BatchNormWeights[];
}

/** Weights of one GRCL, named after equation 1. */
export interface GrclWeights {
  config: Required<GrclConfig>;
  /** A_0, the feedforward convolution. */
  a0: PreActConv;
  /** C, the gate's feedforward part (null when not gated). */
  c: PreActConv | null;
  /** B_t, the gate's recurrent part (null when not gated). */
  b: GrclGateRecurrent | null;
  /** A_1 … A_T. */
  a: Bottleneck[];
}

/** Options of {@link grclForward}. */
export interface GrclForwardOptions extends NormModeOptions {
  /** Iterations to run, 0 … T; default T (all the weights have). 0 returns x_0. */
  iterations?: number;
  /**
   * `'sigmoid'`: equation 1. `'none'`: σ ≡ 1, the residual stack x_t = x_{t-1} + A_t(x_{t-1})
   * (the gate weights, if any, are not used). Default `'sigmoid'` for gated weights, `'none'` otherwise.
   */
  gate?: 'sigmoid' | 'none';
  /** Also return every state and gate. */
  taps?: boolean;
}

/** What {@link grclForward} returns. */
export interface GrclResult {
  /** x_t after the last iteration run, `[batch, height, width, channels]`. */
  output: tf.Tensor4D;
  /** With `taps`: x_0 … x_t (the last is `output` itself); otherwise empty. */
  states: tf.Tensor4D[];
  /** With `taps` and the sigmoid gate: σ(g_1) … σ(g_t); otherwise empty. */
  gates: tf.Tensor4D[];
}

function withDefaults(config: GrclConfig): Required<GrclConfig> {
  const full = { groups: 1, gated: true, ...config };
  const sizes = { inChannels: full.inChannels, channels: full.channels, bottleneck: full.bottleneck, iterations: full.iterations, groups: full.groups };
  for (const [k, v] of Object.entries(sizes)) {
    const min = k === 'iterations' ? 0 : 1;
    if (!Number.isInteger(v) || v < min) throw new Error(`GrclConfig.${k} must be an integer ≥ ${min}, got ${v}`);
  }
  if (full.inChannels % full.groups !== 0 || full.channels % full.groups !== 0) {
    throw new Error(`GrclConfig: ${full.groups} groups do not divide ${full.inChannels} input channels and ${full.channels} channels`);
  }
  return full;
}

function buildBottleneck(source: WeightSource, name: string, channels: number, width: number): Bottleneck {
  return {
    reduce: buildPreActConv(source, `${name}.reduce`, { inChannels: channels, outChannels: width, kernel: 1 }),
    spatial: buildPreActConv(source, `${name}.spatial`, { inChannels: width, outChannels: width, kernel: 3 }),
    expand: buildPreActConv(source, `${name}.expand`, { inChannels: width, outChannels: channels, kernel: 1 }),
  };
}

/**
 * Builds GRCL weights from `source`, each tensor named by its property path
 * after `prefix` (e.g. `a0.filter`, `b.norms.0.gamma`, `a.2.spatial.filter`).
 */
export function buildGrcl(config: GrclConfig, source: WeightSource, prefix = ''): GrclWeights {
  const cfg = withDefaults(config);
  const { inChannels, channels, bottleneck, iterations, groups, gated } = cfg;
  const gateInit = { kind: 'normal', sd: 0.01 } as const;
  const a0 = buildPreActConv(source, `${prefix}a0`, { inChannels, outChannels: channels, kernel: 3, groups });
  const c = gated ? buildPreActConv(source, `${prefix}c`, { inChannels, outChannels: channels, kernel: 1, groups, bias: true, init: gateInit }) : null;
  const norms: BatchNormWeights[] = [];
  const b = gated ? { filter: source.filter(`${prefix}b.filter`, [1, 1, channels / groups, channels], gateInit), groups, norms } : null;
  const a: Bottleneck[] = [];
  for (let t = 0; t < iterations; t++) {
    if (b) norms.push(buildBatchNorm(source, `${prefix}b.norms.${t}`, channels));
    a.push(buildBottleneck(source, `${prefix}a.${t}`, channels, bottleneck));
  }
  return { config: cfg, a0, c, b, a };
}

/** Fresh GRCL weights from a seed; running statistics are not set. */
export function initGrcl(config: GrclConfig, seed: number): GrclWeights {
  return buildGrcl(config, initSource(new Rng(seed)));
}

/**
 * GRCL weights from a record named as {@link buildGrcl} names them (the
 * tensors are used, not copied, so training variables work). Running
 * statistics are read when present.
 */
export function grclFromRecord(config: GrclConfig, record: Record<string, tf.Tensor>): GrclWeights {
  const source = recordSource(record, 'grclFromRecord');
  const w = buildGrcl(config, source);
  source.assertAllUsed();
  return w;
}

function gateWeights(w: GrclWeights): { b: GrclGateRecurrent; c: PreActConv } {
  if (!w.b || !w.c) throw new Error("grclForward: gate 'sigmoid' needs gate weights, but this GRCL was built with gated: false");
  return { b: w.b, c: w.c };
}

function bottleneck(w: Bottleneck, x: tf.Tensor4D, mode: NormModeOptions): tf.Tensor4D {
  return tf.tidy(() => preActConv(w.expand, preActConv(w.spatial, preActConv(w.reduce, x, mode), mode), mode));
}

/**
 * Runs the GRCL on `u` `[batch, height, width, inChannels]` for `iterations`
 * iterations; the output has `channels` channels and the same spatial size.
 */
export function grclForward(w: GrclWeights, u: tf.Tensor4D, options: GrclForwardOptions): GrclResult {
  const { inChannels, iterations: trained, gated } = w.config;
  const { iterations = trained, gate = gated ? 'sigmoid' : 'none', taps = false } = options;
  const mode: NormModeOptions = { training: options.training, observe: options.observe };
  if (u.rank !== 4 || u.shape[3] !== inChannels) {
    throw new Error(`grclForward: u must have shape [batch, height, width, ${inChannels}], got [${u.shape.join(', ')}]`);
  }
  if (!Number.isInteger(iterations) || iterations < 0 || iterations > trained) {
    throw new Error(`grclForward: iterations must be an integer from 0 to ${trained} (the iterations with weights), got ${iterations}`);
  }
  const gateParts = gate === 'sigmoid' ? gateWeights(w) : null;
  return tf.tidy(() => {
    let x = preActConv(w.a0, u, mode);
    const states = taps ? [x] : [];
    const gates: tf.Tensor4D[] = [];
    // C(u) once, for every iteration.
    const cu = gateParts && iterations > 0 ? preActConv(gateParts.c, u, mode) : null;
    for (let t = 1; t <= iterations; t++) {
      let update = bottleneck(w.a[t - 1], x, mode);
      if (gateParts && cu) {
        const { b } = gateParts;
        const recurrent = groupedConv2d(tf.relu(batchNorm(b.norms[t - 1], x, mode)), b.filter, b.groups);
        const open = tf.sigmoid(tf.add<tf.Tensor4D>(recurrent, cu));
        if (taps) gates.push(open);
        update = tf.mul(open, update);
      }
      x = tf.add(x, update);
      if (taps) states.push(x);
    }
    return { output: x, states, gates };
  });
}
