/**
 * Model recovery: can the analyses the paper proposes for real recordings tell
 * which network a recording came from? On ground truth we control: one
 * network's units, recorded with added noise over repetitions, are the
 * "recording"; every candidate network is scored against it, and the best
 * candidate is the identification. Three methods:
 *
 * - **predictivity** (Brain-Score's metric, `./predictivity`): PLS from each
 *   candidate layer's features to the trial-averaged recording after
 *   recurrence, held-out Pearson r, median over neurons, mean over splits; a
 *   candidate scores its best layer; the highest-scoring candidate is chosen.
 * - **de-noising signature** (equation 1, `./denoising`): the mean de-noising d
 *   over image pairs of each noise kind, one entry per kind, from the
 *   trial-averaged recording before (ff) and after (rec) recurrence.
 * - **dimensionality signature** (equation 2, `./dimensionality`): log of the
 *   participation ratio after recurrence over the one before, over all samples
 *   (Figure 8B's normalised dimensionality).
 *
 * A signature identifies the candidate whose template is nearest (Euclidean
 * distance). A template is the mean signature of `templates` simulated
 * recordings of the candidate made exactly as the recording was (same number
 * of neurons, noise level and repetitions; its own random units and noise), so
 * the bias that noise puts on a signature (it pulls correlations, hence d,
 * towards 0, and raises the participation ratio) is in the templates too and
 * does not by itself favour a candidate.
 *
 * Noise model: neuron j's response to sample i in time bin b (ff or rec) on
 * repetition t is x_bij + level · s_j · ε_tbij, ε standard normal and
 * independent, with s_j the neuron's noise-free standard deviation over the
 * samples of both bins (population, ddof 0). Level ∞ is the limit: the signal
 * is dropped and the response is s_j · ε (every analysis here is invariant to
 * a neuron's scale). Neurons are drawn without replacement from a network's
 * responsive units (non-zero variance over the samples of either bin).
 *
 * Pure: plain arrays in, identifications out; randomness comes from `seed`.
 */
import { Rng } from '../random';
import { denoising, type NumericArray } from './denoising';
import { participationRatio } from './dimensionality';
import { internalConsistency, regressionCorrelation, shuffleSplits } from './predictivity';

/** The identification methods, in reporting order. */
export const RECOVERY_METHODS = ['predictivity', 'denoising', 'dimensionality'] as const;
export type RecoveryMethod = (typeof RECOVERY_METHODS)[number];

/** Features one layer of a candidate offers the predictivity metric. */
export interface RecoveryLayer {
  /** Layer name, e.g. `r1`. */
  name: string;
  /** Row-major `[samples, columns]`, e.g. the layer's principal-component scores after recurrence. */
  data: NumericArray;
  columns: number;
}

/** A network that can be recorded from and is a candidate for every recording. */
export interface RecoveryNetwork {
  /** Unique name, e.g. `LR-TT A`. */
  label: string;
  /** What identification is scored by, e.g. the recurrence type `LR-TT`, shared by its instances. */
  group: string;
  /** The recordable units before recurrence (feedforward step), row-major `[samples, units]`. */
  ff: NumericArray;
  /** The same units after recurrence (last step), `[samples, units]`. */
  rec: NumericArray;
  /** Its layers' features after recurrence, for the predictivity metric. */
  layers: RecoveryLayer[];
}

/** The image pairs of the de-noising signature. */
export interface RecoveryPairs {
  /** Sample index of each pair's clean image, `[pairs]`. */
  clean: ArrayLike<number>;
  /** Sample index of the same image degraded, `[pairs]`. */
  noisy: ArrayLike<number>;
  /** Noise kind of each pair, in [0, kinds): the signature has one entry per kind, `[pairs]`. */
  kind: ArrayLike<number>;
  /** Number of noise kinds. */
  kinds: number;
}

/** What every network's arrays are over. */
export interface RecoveryDesign {
  /** Number of samples (stimuli): rows of every array. */
  samples: number;
  /** Recordable units per network: columns of `ff` and `rec`. */
  units: number;
  /** Stimulus category of every sample; the predictivity splits are stratified by it, `[samples]`. */
  categories: ArrayLike<number>;
  pairs: RecoveryPairs;
}

/** Options for {@link modelRecovery}. */
export interface ModelRecoveryOptions {
  /** Noise levels: noise s.d. per repetition over the neuron's signal s.d.; ≥ 0, `Infinity` for pure noise. */
  noiseLevels: readonly number[];
  /** Numbers of recorded neurons. */
  neurons: readonly number[];
  /** Repetitions of every stimulus (≥ 2: the predictivity ceiling needs two halves). */
  repetitions: number;
  /** Recordings per (source, noise level, neuron count), each with its own neurons, noise and splits. */
  replicates: number;
  /** Seed of every draw (integer). */
  seed: number;
  /** Labels of the networks recorded from (default: every network); every network is a candidate. */
  sources?: readonly string[];
  /** Predictivity splits, 90 % train, stratified by category (default 10, Brain-Score's). */
  splits?: number;
  /** PLS components (default 25, capped at what the training sets allow). */
  components?: number;
  /** Simulated recordings averaged into each candidate's signature templates (default 4). */
  templates?: number;
  /** Called after each trial with the number done and the total. */
  onTrial?: (done: number, total: number) => void;
}

/** One method's identification in one trial. */
export interface RecoveryCall {
  /** Label of the chosen candidate. */
  identified: string;
  /** Per candidate (network order): the predictivity score of its best layer, or minus the distance of its template. */
  scores: number[];
}

/** One recording and what each method made of it. */
export interface RecoveryTrial {
  /** Label of the network recorded from. */
  source: string;
  noiseLevel: number;
  neurons: number;
  replicate: number;
  /** Internal-consistency ceiling of the recording (Spearman-Brown split-half r, median over neurons). */
  ceiling: number;
  /** The recording's de-noising signature, one mean d per noise kind. */
  denoisingSignature: number[];
  /** The recording's log(PR after / PR before recurrence). */
  dimensionalitySignature: number;
  predictivity: RecoveryCall & {
    /** Per candidate: the layer that scored best. */
    bestLayers: string[];
  };
  denoising: RecoveryCall;
  dimensionality: RecoveryCall;
}

/** Trial-averaged simulated recording of some units of a network. */
interface Recording {
  /** `[repetitions, samples, neurons]` after recurrence (for the ceiling). */
  recTrials: Float64Array;
  /** Means over repetitions, `[samples, neurons]`. */
  ffMean: Float64Array;
  recMean: Float64Array;
}

function checkArray(fn: string, what: string, data: ArrayLike<number>, rows: number, columns: number): void {
  if (data.length !== rows * columns) throw new Error(`${fn}: ${what} has ${data.length} values, expected [samples ${rows}, ${columns}] = ${rows * columns}`);
}

/** Units with non-zero variance over the samples of either bin. */
function responsiveUnits(net: RecoveryNetwork, samples: number, units: number): Int32Array {
  const out: number[] = [];
  for (let j = 0; j < units; j++) {
    let varies = false;
    for (let i = 1; i < samples && !varies; i++) varies = net.ff[i * units + j] !== net.ff[j] || net.rec[i * units + j] !== net.rec[j];
    if (varies) out.push(j);
  }
  return Int32Array.from(out);
}

/** `count` distinct entries of `pool`, uniformly at random. */
function drawUnits(pool: Int32Array, count: number, rng: Rng): Int32Array {
  const order = rng.permutation(pool.length);
  return Int32Array.from({ length: count }, (_, k) => pool[order[k]!]!);
}

/**
 * Records `units` of `net` with noise (see the module comment): every
 * repetition draws fresh noise in both bins.
 */
export function simulateRecording(net: Pick<RecoveryNetwork, 'ff' | 'rec'>, design: Pick<RecoveryDesign, 'samples' | 'units'>, units: ArrayLike<number>, noiseLevel: number, repetitions: number, rng: Rng): Recording {
  const { samples: n, units: p } = design;
  const q = units.length;
  const sd = new Float64Array(q);
  for (let k = 0; k < q; k++) {
    const j = units[k]!;
    let s = 0;
    let ss = 0;
    for (let i = 0; i < n; i++) {
      for (const v of [net.ff[i * p + j]!, net.rec[i * p + j]!]) {
        s += v;
        ss += v * v;
      }
    }
    const m = s / (2 * n);
    sd[k] = Math.sqrt(Math.max(0, ss / (2 * n) - m * m));
  }
  const pure = noiseLevel === Infinity;
  const signal = pure ? 0 : 1;
  const noiseSd = Float64Array.from(sd, (s) => (pure ? s : noiseLevel * s));
  const recTrials = new Float64Array(repetitions * n * q);
  const ffMean = new Float64Array(n * q);
  const recMean = new Float64Array(n * q);
  for (let t = 0; t < repetitions; t++) {
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < q; k++) {
        const j = units[k]!;
        const ff = signal * net.ff[i * p + j]! + noiseSd[k]! * rng.normal();
        const rec = signal * net.rec[i * p + j]! + noiseSd[k]! * rng.normal();
        recTrials[(t * n + i) * q + k] = rec;
        ffMean[i * q + k]! += ff / repetitions;
        recMean[i * q + k]! += rec / repetitions;
      }
    }
  }
  return { recTrials, ffMean, recMean };
}

/** Mean of the finite values; NaN when there are none. */
function finiteMean(values: number[]): number {
  const v = values.filter(Number.isFinite);
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN;
}

/** Mean de-noising d per noise kind over the pairs of a trial-averaged recording. */
function denoisingSignature(r: Recording, q: number, pairs: RecoveryPairs): number[] {
  const row = (x: Float64Array, i: number) => x.subarray(i * q, (i + 1) * q);
  const byKind: number[][] = Array.from({ length: pairs.kinds }, () => []);
  for (let a = 0; a < pairs.clean.length; a++) {
    byKind[pairs.kind[a]!]!.push(denoising(row(r.ffMean, pairs.clean[a]!), row(r.ffMean, pairs.noisy[a]!), row(r.recMean, pairs.noisy[a]!)));
  }
  return byKind.map(finiteMean);
}

/** Whether some column of row-major `[n, q]` data varies over rows. */
function varies(x: Float64Array, n: number, q: number): boolean {
  for (let i = 1; i < n; i++) for (let k = 0; k < q; k++) if (x[i * q + k] !== x[k]) return true;
  return false;
}

/**
 * log(PR after / PR before recurrence) of a trial-averaged recording, over all
 * samples; NaN when a bin has no varying neuron (possible only without noise).
 */
function dimensionalitySignature(r: Recording, n: number, q: number): number {
  if (!varies(r.ffMean, n, q) || !varies(r.recMean, n, q)) return NaN;
  const shape = { samples: n, units: q };
  return Math.log(participationRatio(r.recMean, shape) / participationRatio(r.ffMean, shape));
}

/** Euclidean distance; Infinity when either side has a NaN. */
function distance(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += (a[k]! - b[k]!) ** 2;
  return Number.isNaN(s) ? Infinity : Math.sqrt(s);
}

/** Index of the largest score (NaN counts as −∞); the first on a tie. */
function argmax(scores: readonly number[]): number {
  let best = 0;
  for (let k = 1; k < scores.length; k++) if (scores[k]! > scores[best]! || (Number.isNaN(scores[best]!) && !Number.isNaN(scores[k]!))) best = k;
  return best;
}

function checkInputs(fn: string, networks: readonly RecoveryNetwork[], design: RecoveryDesign, options: ModelRecoveryOptions): void {
  const { samples: n, units: p, categories, pairs } = design;
  if (networks.length < 2) throw new Error(`${fn}: need at least 2 networks, got ${networks.length}`);
  const labels = new Set(networks.map((x) => x.label));
  if (labels.size !== networks.length) throw new Error(`${fn}: network labels must be unique, got ${networks.map((x) => x.label).join(', ')}`);
  if (categories.length !== n) throw new Error(`${fn}: categories has ${categories.length} values, expected one per sample (${n})`);
  for (const net of networks) {
    checkArray(fn, `network ${net.label} ff`, net.ff, n, p);
    checkArray(fn, `network ${net.label} rec`, net.rec, n, p);
    if (net.layers.length === 0) throw new Error(`${fn}: network ${net.label} has no layers for the predictivity metric`);
    for (const layer of net.layers) checkArray(fn, `network ${net.label} layer ${layer.name}`, layer.data, n, layer.columns);
  }
  const m = pairs.clean.length;
  if (pairs.noisy.length !== m || pairs.kind.length !== m || m === 0) throw new Error(`${fn}: pairs need equal, non-zero numbers of clean, noisy and kind entries, got ${m}, ${pairs.noisy.length}, ${pairs.kind.length}`);
  for (let a = 0; a < m; a++) {
    for (const i of [pairs.clean[a]!, pairs.noisy[a]!]) if (!(Number.isInteger(i) && i >= 0 && i < n)) throw new Error(`${fn}: pair ${a} has sample ${i}, outside [0, ${n})`);
    const k = pairs.kind[a]!;
    if (!(Number.isInteger(k) && k >= 0 && k < pairs.kinds)) throw new Error(`${fn}: pair ${a} has kind ${k}, outside [0, ${pairs.kinds})`);
  }
  for (const level of options.noiseLevels) if (!(level >= 0)) throw new Error(`${fn}: noise levels must be ≥ 0 (or Infinity), got ${level}`);
  for (const q of options.neurons) if (!(Number.isInteger(q) && q >= 2)) throw new Error(`${fn}: neuron counts must be integers ≥ 2, got ${q}`);
  if (!(Number.isInteger(options.repetitions) && options.repetitions >= 2)) throw new Error(`${fn}: repetitions must be an integer ≥ 2 (the ceiling needs two halves), got ${options.repetitions}`);
  if (!(Number.isInteger(options.replicates) && options.replicates >= 1)) throw new Error(`${fn}: replicates must be a positive integer, got ${options.replicates}`);
  for (const s of options.sources ?? []) if (!labels.has(s)) throw new Error(`${fn}: source ${s} is not one of the networks (${[...labels].join(', ')})`);
}

/**
 * Every trial of a model-recovery experiment: for each source network, noise
 * level, neuron count and replicate, one simulated recording (its neurons
 * drawn from the source's responsive units) and each method's identification
 * among all `networks` (see the module comment). Trials are ordered source,
 * noise level, neuron count, replicate; each draws from its own generator
 * keyed by (seed, their indices), so a trial does not depend on the others.
 * Throws when a network has fewer responsive units than the most neurons asked.
 */
export function modelRecovery(networks: readonly RecoveryNetwork[], design: RecoveryDesign, options: ModelRecoveryOptions): RecoveryTrial[] {
  const fn = 'modelRecovery';
  checkInputs(fn, networks, design, options);
  const { noiseLevels, neurons, repetitions, replicates, seed, splits = 10, components, templates = 4 } = options;
  const { samples: n, units: p } = design;
  const sources = options.sources ?? networks.map((x) => x.label);
  const pools = networks.map((net) => responsiveUnits(net, n, p));
  const most = Math.max(...neurons);
  pools.forEach((pool, k) => {
    if (pool.length < most) throw new Error(`${fn}: network ${networks[k]!.label} has ${pool.length} responsive units, fewer than the ${most} neurons asked`);
  });
  const trials: RecoveryTrial[] = [];
  const total = sources.length * noiseLevels.length * neurons.length * replicates;
  for (const source of sources) {
    const s = networks.findIndex((x) => x.label === source);
    noiseLevels.forEach((noiseLevel, l) => {
      neurons.forEach((q, c) => {
        for (let replicate = 0; replicate < replicates; replicate++) {
          const rng = Rng.keyed(seed, s, l, c, replicate);
          const units = drawUnits(pools[s]!, q, rng);
          const recording = simulateRecording(networks[s]!, design, units, noiseLevel, repetitions, rng);
          const trialSplits = shuffleSplits(n, { splits, trainSize: 0.9, seed: rng.nextUint32(), labels: design.categories });
          const halvings = shuffleSplits(repetitions, { splits: 10, trainSize: 0.5, seed: rng.nextUint32() });
          const ceiling = internalConsistency({ data: recording.recTrials, shape: [repetitions, n, q] }, halvings).ceiling;
          const responses = { data: recording.recMean, shape: [n, q] };
          const layerScores = networks.map((net) => net.layers.map((layer) => regressionCorrelation({ data: layer.data, shape: [n, layer.columns] }, responses, { splits: trialSplits, components }).score));
          const predictivityScores = layerScores.map((scores) => scores[argmax(scores)]!);
          const bestLayers = layerScores.map((scores, k) => networks[k]!.layers[argmax(scores)]!.name);
          const denoisingOf = denoisingSignature(recording, q, design.pairs);
          const dimensionalityOf = dimensionalitySignature(recording, n, q);
          // Templates: the mean signature of simulated recordings of each candidate, made as the recording was.
          const templateSignatures = networks.map((net, k) => {
            const d: number[][] = [];
            const r: number[] = [];
            for (let t = 0; t < templates; t++) {
              const sim = simulateRecording(net, design, drawUnits(pools[k]!, q, rng), noiseLevel, repetitions, rng);
              d.push(denoisingSignature(sim, q, design.pairs));
              r.push(dimensionalitySignature(sim, n, q));
            }
            return { denoising: d[0]!.map((_, e) => finiteMean(d.map((x) => x[e]!))), dimensionality: finiteMean(r) };
          });
          const denoisingScores = templateSignatures.map((t) => -distance(denoisingOf, t.denoising));
          const dimensionalityScores = templateSignatures.map((t) => -distance([dimensionalityOf], [t.dimensionality]));
          const call = (scores: number[]): RecoveryCall => ({ identified: networks[argmax(scores)]!.label, scores });
          trials.push({
            source, noiseLevel, neurons: q, replicate, ceiling, denoisingSignature: denoisingOf, dimensionalitySignature: dimensionalityOf,
            predictivity: { ...call(predictivityScores), bestLayers }, denoising: call(denoisingScores), dimensionality: call(dimensionalityScores),
          });
          options.onTrial?.(trials.length, total);
        }
      });
    });
  }
  return trials;
}

/** One confusion matrix: which group the recordings of each group were identified as. */
export interface RecoveryConfusion {
  method: RecoveryMethod;
  noiseLevel: number;
  neurons: number;
  /** Groups in row and column order (first appearance among the networks). */
  groups: string[];
  /** `counts[i][j]`: trials recorded from group i identified as group j. */
  counts: number[][];
  /** Fraction of trials identified as their source's group, in [0, 1]. */
  accuracy: number;
  /**
   * Accuracy of a guess uniform over the networks: the mean over trials of the
   * share of networks in the source's group.
   */
  chance: number;
  /** Share of the networks in each group (`groups` order): a uniform guess's accuracy on that group's recordings. */
  chanceByGroup: number[];
  trials: number;
}

/**
 * Confusion matrices of `trials` by group, one per (method, noise level,
 * neuron count), in method, then noise-level, then neuron-count order (the
 * orders of first appearance in `trials`). `networks` give each label's group.
 */
export function recoveryConfusion(trials: readonly RecoveryTrial[], networks: readonly Pick<RecoveryNetwork, 'label' | 'group'>[]): RecoveryConfusion[] {
  const groupOf = new Map(networks.map((x) => [x.label, x.group]));
  const groups = [...new Set(networks.map((x) => x.group))];
  const share = new Map(groups.map((g) => [g, networks.filter((x) => x.group === g).length / networks.length]));
  const levels = [...new Set(trials.map((t) => t.noiseLevel))];
  const counts = [...new Set(trials.map((t) => t.neurons))];
  const group = (label: string) => {
    const g = groupOf.get(label);
    if (g === undefined) throw new Error(`recoveryConfusion: network ${label} of a trial is not among the networks given`);
    return groups.indexOf(g);
  };
  return RECOVERY_METHODS.flatMap((method) => levels.flatMap((noiseLevel) => counts.flatMap((neurons): RecoveryConfusion[] => {
    const these = trials.filter((t) => t.noiseLevel === noiseLevel && t.neurons === neurons);
    if (these.length === 0) return [];
    const matrix = groups.map(() => groups.map(() => 0));
    let correct = 0;
    let chance = 0;
    for (const t of these) {
      const i = group(t.source);
      const j = group(t[method].identified);
      matrix[i]![j]!++;
      if (i === j) correct++;
      chance += share.get(groups[i]!)!;
    }
    return [{ method, noiseLevel, neurons, groups, counts: matrix, accuracy: correct / these.length, chance: chance / these.length, chanceByGroup: groups.map((g) => share.get(g)!), trials: these.length }];
  })));
}

/**
 * Confusion matrices of several experiments (e.g. one per core) summed per
 * (method, noise level, neuron count); accuracy and chance over all their
 * trials. The experiments must share their groups.
 */
export function pooledConfusion(cores: readonly { confusion: readonly RecoveryConfusion[] }[]): RecoveryConfusion[] {
  const out: RecoveryConfusion[] = [];
  for (const c of cores.flatMap((x) => x.confusion)) {
    const same = out.find((o) => o.method === c.method && o.noiseLevel === c.noiseLevel && o.neurons === c.neurons);
    if (!same) {
      out.push({ ...c, groups: [...c.groups], chanceByGroup: [...c.chanceByGroup], counts: c.counts.map((row) => [...row]) });
      continue;
    }
    if (same.groups.join() !== c.groups.join()) throw new Error(`pooledConfusion: cores differ in their groups (${same.groups.join(', ')} vs ${c.groups.join(', ')})`);
    c.counts.forEach((row, i) => row.forEach((v, j) => (same.counts[i]![j]! += v)));
    const trials = same.trials + c.trials;
    same.accuracy = (same.accuracy * same.trials + c.accuracy * c.trials) / trials;
    same.chance = (same.chance * same.trials + c.chance * c.trials) / trials;
    same.trials = trials;
  }
  return out;
}

/** Predictivity scores behind the identifications at one noise level and neuron count. */
export interface PredictivitySummary {
  noiseLevel: number;
  neurons: number;
  /** Mean over trials of the score of the network recorded from (its best layer). */
  sourceScore: number;
  /** Mean over trials of the highest score of any candidate. */
  bestScore: number;
  /** Mean over trials of the recording's ceiling. */
  ceiling: number;
  trials: number;
}

/**
 * How the source network itself scored against its own recordings, beside
 * the winner and the ceiling, per (noise level, neuron count) in order of
 * first appearance. `labels` are the networks in the order of the trials'
 * scores (the order given to {@link modelRecovery}).
 */
export function predictivitySummary(trials: readonly RecoveryTrial[], labels: readonly string[]): PredictivitySummary[] {
  const keys = [...new Set(trials.map((t) => `${t.noiseLevel} ${t.neurons}`))];
  return keys.map((key) => {
    const these = trials.filter((t) => `${t.noiseLevel} ${t.neurons}` === key);
    const source = these.map((t) => {
      const k = labels.indexOf(t.source);
      if (k < 0 || t.predictivity.scores.length !== labels.length) throw new Error(`predictivitySummary: trial of ${t.source} does not match the ${labels.length} labels given`);
      return t.predictivity.scores[k]!;
    });
    const meanOf = (v: number[]) => finiteMean(v);
    return {
      noiseLevel: these[0]!.noiseLevel, neurons: these[0]!.neurons, sourceScore: meanOf(source),
      bestScore: meanOf(these.map((t) => Math.max(...t.predictivity.scores.filter(Number.isFinite)))), ceiling: meanOf(these.map((t) => t.ceiling)), trials: these.length,
    };
  });
}
