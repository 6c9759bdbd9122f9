/**
 * A recurrent network is a frozen feedforward core plus one update rule
 * (`./rules`), and {@link runDynamics} is the one time loop every network
 * runs through: step 0 is the feedforward pass, identical for every network
 * of a core; at each later step the rule updates layers 1 and 2 and the head
 * (layers 3 and 4) is read from layer 2 where asked.
 *
 * Several networks of one core can start from one {@link FeedforwardPass}
 * of the same images, so step 0 is computed once for all of them
 * ({@link predictNetworksAtSteps}).
 *
 * "Time steps" count recurrent steps including step 0 (3 for the task-trained,
 * random and surround networks: a feedforward pass and two rounds of
 * recurrence, Methods 4.1; 13 for FB-PC; 2 for Grads; 1 for the feedforward
 * network). They are not the training batches of `model/trainLoop`.
 */
import * as tf from '@tensorflow/tfjs';
import { NUM_PIXELS } from '../data/mnist';
import { assertImageBatch, CoreTaps, CoreWeights, headFromR2, layer1Drive, layer2FromR1 } from '../model/core';
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

/**
 * Step 0 of every network of a core on a batch of images, and where their
 * dynamics start: the core's feedforward pass up to layer 2.
 */
export interface FeedforwardPass {
  /** The core it was computed with (a network of another core refuses it). */
  readonly core: CoreWeights;
  /** Layer 1's drive `d1 = conv1(x) + b1` `[batch, 28, 28, 32]` (pre-ReLU). */
  readonly drive: tf.Tensor4D;
  /** `ReLU(d1)`: r1 at step 0, `[batch, 28, 28, 32]`. */
  readonly r1: tf.Tensor4D;
  /** r2 at step 0, `[batch, 14, 14, 64]`. */
  readonly r2: tf.Tensor4D;
}

/** The feedforward pass of `core` on images `x` `[batch, 28, 28, 1]` (dispose with {@link disposeFeedforwardPass}). */
export function feedforwardPass(core: CoreWeights, x: tf.Tensor4D): FeedforwardPass {
  assertImageBatch('feedforwardPass', x);
  return tf.tidy(() => {
    const drive = layer1Drive(core, x);
    const r1 = tf.relu(drive) as tf.Tensor4D;
    return { core, drive, r1, r2: layer2FromR1(core, r1) };
  });
}

export function disposeFeedforwardPass(pass: FeedforwardPass): void {
  tf.dispose([pass.drive, pass.r1, pass.r2]);
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
 * THE time loop: runs a network on images `x` `[batch, 28, 28, 1]`, or from
 * their {@link FeedforwardPass} through its core (left to the caller), for
 * its time steps and returns the taps of the kept steps. Every network goes
 * through here; no analysis re-implements the network.
 */
export function runDynamics(net: RecurrentNetwork, x: tf.Tensor4D | FeedforwardPass, options: DynamicsOptions = {}): StepTaps[] {
  const { headAt = () => true, keep = () => true } = options;
  const { core, rule } = net;
  const pass = x instanceof tf.Tensor ? feedforwardPass(core, x) : x;
  if (pass.core !== core) throw new Error(`runDynamics(${net.type}): the feedforward pass was computed with another core`);
  const taps: StepTaps[] = [];
  const input: StepInput = { core, drive: pass.drive, feedforward: pass.r1, labels: options.labels };
  let state: LayerState = { r1: pass.r1, r2: pass.r2 };
  const record = (timeStep: number) => {
    if (!keep(timeStep)) return;
    const head = headAt(timeStep) ? headFromR2(core, state.r2) : null;
    taps.push({ timeStep, r1: tf.clone(state.r1), r2: tf.clone(state.r2), r3: head?.r3 ?? null, logits: head?.logits ?? null });
  };
  const release = (s: LayerState) => {
    if (s.r1 !== pass.r1) s.r1.dispose();
    if (s.r2 !== pass.r2) s.r2.dispose();
  };
  record(0);
  for (let t = 1; t < net.timeSteps; t++) {
    const next = tf.tidy(() => rule.update(input, state));
    release(state);
    state = next;
    record(t);
  }
  release(state);
  if (pass !== x) disposeFeedforwardPass(pass);
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
  return predictNetworksAtSteps([net], pixels, labels, { at: (_net, t) => at(t), batchSize })[0]!;
}

/** Options for {@link predictNetworksAtSteps}. */
export interface PredictOptions {
  /** The time steps of each network whose classes are returned (default: all). */
  at?: (net: RecurrentNetwork, timeStep: number) => boolean;
  /** Images per batch (default 200). */
  batchSize?: number;
  /** Called after each batch with the number of images done. */
  onBatch?: (done: number) => void;
}

/**
 * {@link predictAtSteps} for several networks of one core on the same images:
 * `out[m][k][i]` is network m's class of image i at its k-th selected step.
 * Step 0, the feedforward pass and the same for every network of the core,
 * is computed once per batch.
 */
export function predictNetworksAtSteps(nets: readonly RecurrentNetwork[], pixels: Float32Array, labels: Uint8Array | Int32Array, options: PredictOptions = {}): Int32Array[][] {
  const { at = () => true, batchSize = 200, onBatch } = options;
  const n = labels.length;
  if (pixels.length !== n * NUM_PIXELS) throw new Error(`predictNetworksAtSteps: pixels must hold ${n} images of ${NUM_PIXELS} pixels (one per label), got ${pixels.length} values`);
  const core = nets[0]?.core;
  if (!core) return [];
  const other = nets.find((net) => net.core !== core);
  if (other) throw new Error(`predictNetworksAtSteps: every network must run on one core (${other.type} has another)`);
  const out: Int32Array[][] = nets.map(() => []);
  for (let s = 0; s < n; s += batchSize) {
    const m = Math.min(batchSize, n - s);
    const classes = tf.tidy(() => {
      const pass = feedforwardPass(core, tf.tensor4d(pixels.subarray(s * NUM_PIXELS, (s + m) * NUM_PIXELS), [m, 28, 28, 1]));
      const y = tf.tensor1d(labels.subarray(s, s + m), 'int32');
      let first: Int32Array | null = null;
      const argMax = (logits: tf.Tensor2D) => tf.argMax(logits, 1).dataSync() as Int32Array;
      return nets.map((net) => {
        const later = runDynamics(net, pass, { labels: y, headAt: (t) => t > 0 && at(net, t), keep: (t) => t > 0 && at(net, t) });
        const steps = later.map((t) => argMax(t.logits!));
        disposeTaps(later);
        if (!at(net, 0)) return steps;
        first ??= argMax(headFromR2(core, pass.r2).logits);
        return [first, ...steps];
      });
    });
    classes.forEach((perStep, j) => perStep.forEach((c, k) => {
      out[j]![k] ??= new Int32Array(n);
      out[j]![k]!.set(c, s);
    }));
    onBatch?.(s + m);
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
