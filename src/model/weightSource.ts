/**
 * Where the tensors of a typed weights object come from. A builder (e.g.
 * `buildGrcl`) asks a source for every parameter by its record name, so one
 * builder serves both a seeded initialisation ({@link initSource}) and a
 * record of named arrays or training variables ({@link recordSource}).
 * {@link weightsToRecords} walks a built object back into records; the record
 * name of a tensor is its property path (`a.0.reduce.norm.gamma`).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../random';
import type { BatchNormStats } from './batchNorm';

/** How a parameter is initialised. */
export type ParamInit =
  /** Normal with mean 0 and this standard deviation (He/Kaiming: √(2/fan-in)). */
  | { kind: 'normal'; sd: number }
  | { kind: 'constant'; value: number };

/** He (Kaiming) normal initialisation for a layer of the given fan-in, as PyTorch's `kaiming_normal_`. */
export function kaimingNormal(fanIn: number): ParamInit {
  return { kind: 'normal', sd: Math.sqrt(2 / fanIn) };
}

/** Supplies the tensors of a weights object. */
export interface WeightSource {
  /** A convolution filter `[kh, kw, inChannels, outChannels]`. */
  filter(name: string, shape: [number, number, number, number], init: ParamInit): tf.Tensor4D;
  /** A dense weight matrix `[in, out]`. */
  matrix(name: string, shape: [number, number], init: ParamInit): tf.Tensor2D;
  /** A vector (bias, batch-norm scale or shift) `[length]`. */
  vector(name: string, length: number, init: ParamInit): tf.Tensor1D;
  /** Running statistics of the batch norm whose scale is `<name>.gamma`, or null when there are none. */
  stats(name: string, channels: number): BatchNormStats | null;
}

/** Fresh parameters drawn in call order from `rng`; no running statistics. */
export function initSource(rng: Rng): WeightSource {
  const draw = (shape: number[], init: ParamInit): Float32Array => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    if (init.kind === 'constant') data.fill(init.value);
    else for (let i = 0; i < data.length; i++) data[i] = init.sd * rng.normal();
    return data;
  };
  return {
    filter: (_name, shape, init) => tf.tensor4d(draw(shape, init), shape),
    matrix: (_name, shape, init) => tf.tensor2d(draw(shape, init), shape),
    vector: (_name, length, init) => tf.tensor1d(draw([length], init)),
    stats: () => null,
  };
}

function isRank<R extends tf.Rank>(t: tf.Tensor, rank: number): t is tf.Tensor<R> {
  return t.rank === rank;
}

/**
 * Tensors looked up by name in `record`, used as they are (so training
 * variables stay variables). Shapes are checked; running statistics are taken
 * when both `<name>.running.mean` and `<name>.running.variance` are present.
 * Call `assertAllUsed` after building to reject names the builder never asked for.
 */
export function recordSource(record: Record<string, tf.Tensor>, fn: string): WeightSource & { assertAllUsed(): void } {
  const used = new Set<string>();
  const get = (name: string, shape: number[]): tf.Tensor => {
    const t = record[name];
    if (!t) throw new Error(`${fn}: missing parameter ${name} of shape [${shape.join(', ')}]`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new Error(`${fn}: parameter ${name} has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`);
    }
    used.add(name);
    return t;
  };
  const typed = <R extends tf.Rank>(name: string, shape: number[]): tf.Tensor<R> => {
    const t = get(name, shape);
    if (!isRank<R>(t, shape.length)) throw new Error(`${fn}: parameter ${name} has rank ${t.rank}, expected ${shape.length}`);
    return t;
  };
  return {
    filter: (name, shape) => typed<tf.Rank.R4>(name, shape),
    matrix: (name, shape) => typed<tf.Rank.R2>(name, shape),
    vector: (name, length) => typed<tf.Rank.R1>(name, [length]),
    stats: (name, channels) => {
      const meanName = `${name}.running.mean`;
      const varName = `${name}.running.variance`;
      if (!record[meanName] && !record[varName]) return null;
      return { mean: typed<tf.Rank.R1>(meanName, [channels]), variance: typed<tf.Rank.R1>(varName, [channels]) };
    },
    assertAllUsed: () => {
      const extra = Object.keys(record).filter((k) => !used.has(k));
      if (extra.length) throw new Error(`${fn}: unexpected parameters ${extra.join(', ')} (does the configuration match the record?)`);
    },
  };
}

/** The trainable parameters and the running statistics of a weights object, as named records. */
export interface WeightRecords {
  params: Record<string, tf.Tensor>;
  stats: Record<string, tf.Tensor>;
}

/**
 * Every tensor reachable from `weights` (through objects and arrays), named by
 * its property path. Tensors under a `running` property are statistics, the
 * rest parameters. The tensors are the object's own, not copies.
 */
export function weightsToRecords(weights: object): WeightRecords {
  const out: WeightRecords = { params: {}, stats: {} };
  const walk = (value: unknown, path: string[], isStats: boolean): void => {
    if (value instanceof tf.Tensor) {
      (isStats ? out.stats : out.params)[path.join('.')] = value;
    } else if (typeof value === 'object' && value !== null) {
      for (const [k, v] of Object.entries(value)) walk(v, [...path, k], isStats || k === 'running');
    }
  };
  walk(weights, [], false);
  return out;
}

/** Disposes every tensor of a weights object (parameters and running statistics). */
export function disposeWeightTensors(weights: object): void {
  const { params, stats } = weightsToRecords(weights);
  tf.dispose([...Object.values(params), ...Object.values(stats)]);
}
