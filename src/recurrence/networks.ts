/**
 * A recurrent network is a frozen feedforward core plus one update rule
 * (`./rules`), and {@link runDynamics} is the one time loop every network
 * runs through: step 0 is the feedforward pass, identical for every network
 * of a core; at each later step the rule updates layers 1 and 2 and the head
 * (layers 3 and 4) is read from layer 2 where asked.
 *
 * "Time steps" count recurrent steps including step 0 (3 for the task-trained,
 * random and surround networks: a feedforward pass and two rounds of
 * recurrence, Methods 4.1; 13 for FB-PC; 2 for Grads; 1 for the feedforward
 * network). They are not the training batches of `model/trainLoop`.
 */
import * as tf from '@tensorflow/tfjs';
import { CoreTaps, CoreWeights, headFromR2, layer1Drive, layer2FromR1 } from '../model/core';
import { Rng } from '../random';
import {
  assertRecurrenceType, DEFAULT_RULE_SETTINGS, FeedforwardRule, LayerState, NetworkType, RECURRENCE_SPECS, RecurrenceType, RuleSettings,
  StepInput, UpdateRule,
} from './rules';

/** A network: a frozen core and the update rule of its type. */
export interface RecurrentNetwork {
  readonly type: NetworkType;
  readonly core: CoreWeights;
  readonly rule: UpdateRule;
  /** Time steps including step 0 (the rule's). */
  readonly timeSteps: number;
}

/** Activity of every layer at one time step (r3 and logits only where the head was computed). */
export interface StepTaps {
  timeStep: number;
  r1: tf.Tensor4D;
  r2: tf.Tensor4D;
  r3: tf.Tensor2D | null;
  logits: tf.Tensor2D | null;
}

/** Options for {@link runDynamics}. */
export interface DynamicsOptions {
  /** Integer labels `[batch]` (required by Grads). */
  labels?: tf.Tensor1D;
  /** Time steps whose r3 and logits are computed (default: all). Training needs only the last. */
  headAt?: (timeStep: number) => boolean;
  /** Time steps whose taps are returned (default: all); others are disposed as the loop goes. */
  keep?: (timeStep: number) => boolean;
}

/** A network from a core and a rule (the rule's tensors are used, not copied). */
export function networkOf(core: CoreWeights, rule: UpdateRule): RecurrentNetwork {
  return { type: rule.type, core, rule, timeSteps: rule.timeSteps };
}

/** The network of a recurrence type from named weights (trained or random types) and settings (the others). */
export function makeNetwork(type: RecurrenceType, core: CoreWeights, weights: Record<string, tf.Tensor> = {}, settings: Partial<RuleSettings> = {}): RecurrentNetwork {
  assertRecurrenceType(type);
  return networkOf(core, RECURRENCE_SPECS[type].rule(weights, { ...DEFAULT_RULE_SETTINGS, ...settings }));
}

/** The feedforward core as a network of one time step. */
export function feedforwardNetwork(core: CoreWeights): RecurrentNetwork {
  return networkOf(core, new FeedforwardRule());
}

/** Disposes the tensors a network's rule owns (not the core's). */
export function disposeNetwork(net: RecurrentNetwork): void {
  tf.dispose(Object.values(net.rule.tensors()));
}

/**
 * THE time loop: runs a network on images `x` `[batch, 28, 28, 1]` for its
 * time steps and returns the taps of the kept steps. Every network goes
 * through here; no analysis re-implements the network.
 */
export function runDynamics(net: RecurrentNetwork, x: tf.Tensor4D, options: DynamicsOptions = {}): StepTaps[] {
  const { headAt = () => true, keep = () => true } = options;
  const { core, rule } = net;
  const taps: StepTaps[] = [];
  const drive = layer1Drive(core, x);
  const feedforward = tf.relu(drive) as tf.Tensor4D;
  const input: StepInput = { core, drive, feedforward, labels: options.labels };
  let state: LayerState = { r1: feedforward, r2: layer2FromR1(core, feedforward) };
  const record = (timeStep: number) => {
    if (!keep(timeStep)) return;
    const head = headAt(timeStep) ? headFromR2(core, state.r2) : null;
    taps.push({ timeStep, r1: tf.clone(state.r1), r2: tf.clone(state.r2), r3: head?.r3 ?? null, logits: head?.logits ?? null });
  };
  const release = (s: LayerState) => {
    if (s.r1 !== feedforward) s.r1.dispose();
    s.r2.dispose();
  };
  record(0);
  for (let t = 1; t < net.timeSteps; t++) {
    const next = tf.tidy(() => rule.update(input, state));
    release(state);
    state = next;
    record(t);
  }
  release(state);
  tf.dispose([drive, feedforward]);
  return taps;
}

/** Disposes every tensor of a list of taps. */
export function disposeTaps(taps: StepTaps[]): void {
  for (const t of taps) tf.dispose([t.r1, t.r2, ...(t.r3 ? [t.r3] : []), ...(t.logits ? [t.logits] : [])]);
}

/** The logits at the last time step (training uses only these). */
export function finalLogits(net: RecurrentNetwork, x: tf.Tensor4D, labels?: tf.Tensor1D): tf.Tensor2D {
  const last = net.timeSteps - 1;
  const taps = runDynamics(net, x, { labels, headAt: (t) => t === last, keep: (t) => t === last });
  const tap = taps[0]!;
  tf.dispose([tap.r1, tap.r2, ...(tap.r3 ? [tap.r3] : [])]);
  return tap.logits!;
}

/**
 * Predicted classes of images `pixels` `[n, 28, 28]` at the time steps `at`
 * selects, computed in batches: `out[k][i]` is image i's class at the k-th
 * selected step (in step order). Labels are needed by Grads only.
 */
export function predictAtSteps(
  net: RecurrentNetwork, pixels: Float32Array, labels: Uint8Array | Int32Array, at: (timeStep: number) => boolean = () => true, batchSize = 200,
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
