/**
 * Two studies beside the reproduction, as definitions and results (the stage
 * that runs them is `stages/studies`):
 *
 * - **FB-PC variants.** Where the paper defers to Predify, or Predify's code
 *   leaves a choice open, one variant changes one thing from the default
 *   reading ({@link FBPC_VARIANTS}); each is evaluated on the same core and
 *   images.
 * - **Training length.** FB-TT, LR-TT and the FB-PC decoder trained for a
 *   multiple of the profile's batches.
 *
 * Both report, per network instance, the endpoints of the dynamics
 * ({@link Endpoints}) on the clean test images and on each noise type at
 * {@link STUDY_LEVEL}; the summaries average instances of one core (the
 * studies run on one core, so there is no spread over cores).
 */
import type { TrainingSummary } from '../model/trainLoop';
import { ArgumentError, checkKnownKeys, checkNumber } from '../check';
import { mean } from '../analysis/stats';
import { NOISE_TYPES, NoiseType } from '../noise/degrade';
import { Endpoints } from './endpoints';
import { checkPredictiveOptions, PredictiveOptions, RecurrenceType } from './rules';
import { DecoderTrainingConfig } from './train';

/** The noise level of the studies' gains (the level of the paper's later analyses). */
export const STUDY_LEVEL = 5;

/** One reading of FB-PC: a change of its options or of its decoder's training from the profile's. */
export interface FbpcVariant {
  /** Short name, e.g. `linear-decoder` (file names, axis labels). */
  id: string;
  /** What the variant is, for the table. */
  label: string;
  /** Where the reading comes from (Predify's code or the paper's text). */
  source: string;
  /** FB-PC options set by the variant (the others stay the profile's). */
  predictive?: Partial<PredictiveOptions>;
  /** Factor on the decoder's training batches (default 1). */
  decoderBatchesFactor?: number;
}

/**
 * The variants, each one change from the default (the profile's options: the
 * paper's α, λ, β; Predify's PCoderN error scale and rectified decoder).
 */
export const FBPC_VARIANTS: readonly FbpcVariant[] = [
  { id: 'default', label: "default: ReLU decoder, error scaled by 1/√C, α 1, λ .7, β .2", source: "the paper's values; Predify's PCoderN and its PVGG16 decoders (ConvTranspose2d, ReLU)" },
  { id: 'linear-decoder', label: 'linear decoder (no ReLU on the prediction)', source: "the predictor Predify's generator writes by default (ConvTranspose2d alone)", predictive: { decoderRelu: false } },
  { id: 'unscaled-error', label: 'error gradient of the batch-mean MSE, unscaled', source: "Predify's PCoder (gradient_scaling = false, its generator's default)", predictive: { scaleError: false } },
  { id: 'no-error', label: 'α = 0: no error term', source: 'the paper: this scheme "does not propagate error signals"', predictive: { alpha: 0 } },
  { id: 'predify-hyperparameters', label: "Predify's default β .33, λ .33, α .01", source: "Predify's PNet defaults (ff_multiplier, fb_multiplier, er_multiplier)", predictive: { beta: 0.33, lambda: 0.33, alpha: 0.01 } },
  { id: 'rectified-state', label: 'both states rectified after every step', source: 'Predify rectifies nothing; r2 can go below 0 through the error term', predictive: { rectifyState: true } },
  { id: 'decoder-x4', label: 'decoder trained 4x as many batches', source: 'convergence of the reconstruction (the paper: 40000 batches)', decoderBatchesFactor: 4 },
];

const VARIANT_KEYS = ['id', 'label', 'source', 'predictive', 'decoderBatchesFactor'] as const;
const PREDICTIVE_KEYS: readonly (keyof PredictiveOptions)[] = ['alpha', 'lambda', 'beta', 'scaleError', 'decoderRelu', 'rectifyState'];

/**
 * Checks a variant given as data (a job parameter): known fields, an id
 * usable in a file name, known FB-PC options, a positive integer factor.
 */
export function checkFbpcVariant(v: unknown, where: string): FbpcVariant {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new ArgumentError(`${where}: expected a variant object, got ${JSON.stringify(v)}`);
  const o = v as Record<string, unknown>;
  checkKnownKeys(o, VARIANT_KEYS, where);
  if (typeof o.id !== 'string' || !/^[a-z0-9][a-z0-9-]*$/.test(o.id)) throw new ArgumentError(`${where}.id: ${JSON.stringify(o.id)}, expected lower-case letters, digits and dashes`);
  for (const field of ['label', 'source'] as const) if (typeof o[field] !== 'string') throw new ArgumentError(`${where}.${field}: ${JSON.stringify(o[field])}, expected a string`);
  if (o.predictive !== undefined) {
    if (!o.predictive || typeof o.predictive !== 'object' || Array.isArray(o.predictive)) throw new ArgumentError(`${where}.predictive: expected an object of FB-PC options, got ${JSON.stringify(o.predictive)}`);
    checkKnownKeys(o.predictive as Record<string, unknown>, PREDICTIVE_KEYS, `${where}.predictive`);
  }
  if (o.decoderBatchesFactor !== undefined) checkNumber(o.decoderBatchesFactor, `${where}.decoderBatchesFactor`, { integer: true, min: 1 });
  return o as unknown as FbpcVariant;
}

/** The FB-PC options and decoder training of a variant applied to a profile's (checked). */
export function applyFbpcVariant(variant: FbpcVariant, predictive: PredictiveOptions, decoder: DecoderTrainingConfig): { predictive: PredictiveOptions; decoder: DecoderTrainingConfig } {
  const options = { ...predictive, ...variant.predictive };
  checkPredictiveOptions(options, `FB-PC variant '${variant.id}': predictive`);
  return { predictive: options, decoder: { ...decoder, batches: decoder.batches * (variant.decoderBatchesFactor ?? 1) } };
}

/** One network instance at the endpoints of its dynamics: clean, and each noise type at {@link STUDY_LEVEL}. */
export interface InstanceEndpoints {
  instance: number;
  clean: Endpoints;
  noisy: ({ noise: NoiseType } & Endpoints)[];
}

/** Instances of one network averaged (one core). Accuracies and gains are fractions. */
export interface EndpointSummary {
  instances: number;
  /** Clean accuracy at step 0 and at the last step. */
  cleanFirst: number;
  cleanLast: number;
  /** Level gain (last step − step 0) per noise type. */
  gains: { noise: NoiseType; gain: number }[];
  /** The gains averaged over noise types. */
  meanGain: number;
  /** Mean layer-1 influence over the noisy images of every type (Figure 3C's mean). */
  influence: number;
}

/** The gain of one instance on one noise type: last-step minus step-0 accuracy. */
export function instanceGain(e: InstanceEndpoints, noise: NoiseType): number {
  const n = e.noisy.find((x) => x.noise === noise);
  if (!n) throw new Error(`instance ${e.instance}: no endpoints for noise type '${noise}'`);
  return n.lastAccuracy - n.firstAccuracy;
}

/** {@link EndpointSummary} of the instances of one network. */
export function summariseEndpoints(instances: readonly InstanceEndpoints[]): EndpointSummary {
  if (instances.length === 0) throw new Error('summariseEndpoints: no instances');
  const gains = NOISE_TYPES.map((noise) => ({ noise, gain: mean(instances.map((e) => instanceGain(e, noise))) }));
  return {
    instances: instances.length,
    cleanFirst: mean(instances.map((e) => e.clean.firstAccuracy)),
    cleanLast: mean(instances.map((e) => e.clean.lastAccuracy)),
    gains,
    meanGain: mean(gains.map((g) => g.gain)),
    influence: mean(instances.map((e) => mean(e.noisy.map((n) => n.meanInfluence)))),
  };
}

/** What a training run cost and reached. */
export type StudyTraining = TrainingSummary;

/** One FB-PC instance of a variant. */
export interface FbpcVariantInstance extends InstanceEndpoints {
  /** Mean squared error of the decoder's reconstruction of r1 from r2 on the clean test images (step 0). */
  reconstruction: number;
  /** Predify's C: prediction elements one r2 unit reaches, through the trained decoder and through its initial one (Predify saves the latter). */
  reach: { trained: number; initial: number };
  training: StudyTraining;
}

/** One variant on one core. */
export interface FbpcVariantResult {
  variant: FbpcVariant;
  /** The FB-PC options and decoder training it ran with. */
  options: PredictiveOptions;
  decoder: DecoderTrainingConfig;
  core: number;
  level: number;
  /** Test images per condition. */
  images: number;
  instances: FbpcVariantInstance[];
  /** Seconds of the evaluation, and images run through the 13 steps per second. */
  evalSeconds: number;
  evalImagesPerSec: number;
  /** The evaluation's seconds (the training jobs report their own). */
  computeSeconds: number;
}

/** The FB-PC variant study of one core. */
export interface FbpcVariantStudy {
  profile: string;
  core: number;
  level: number;
  results: FbpcVariantResult[];
}

/** One row of the variant table. */
export interface FbpcVariantRow extends EndpointSummary {
  id: string;
  label: string;
  /** Mean over instances of the reconstruction error. */
  reconstruction: number;
}

/** The variant table: one row per variant in study order. */
export function fbpcVariantRows(study: FbpcVariantStudy): FbpcVariantRow[] {
  return study.results.map((r) => ({ id: r.variant.id, label: r.variant.label, ...summariseEndpoints(r.instances), reconstruction: mean(r.instances.map((i) => i.reconstruction)) }));
}

const points = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(1)}`;

/** The variant table as Markdown (accuracies in %, gains in percentage points). */
export function fbpcVariantMarkdown(study: FbpcVariantStudy): string {
  const rows = fbpcVariantRows(study);
  const instances = Math.max(...rows.map((r) => r.instances));
  const head = ['variant', 'what changes', 'clean accuracy, last step (%)', ...NOISE_TYPES.map((n) => `gain ${n}`), 'mean gain', 'mean influence, layer 1', 'decoder MSE'];
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [
    `FB-PC variants, profile ${study.profile}, core ${study.core}, ${instances} instance(s) averaged, ${study.results[0]?.images ?? 0} test images per condition; gains: accuracy at the last step − step 0 at noise level ${study.level}, percentage points; clean accuracy at step 0 (the core): ${(100 * (rows[0]?.cleanFirst ?? NaN)).toFixed(1)} %.`,
    '',
    line(head),
    line(head.map(() => '---')),
    ...rows.map((r) => line([r.id, r.label, (100 * r.cleanLast).toFixed(1), ...r.gains.map((g) => points(g.gain)), points(r.meanGain), r.influence.toPrecision(3), r.reconstruction.toPrecision(3)])),
    '',
    ...study.results.map((r) => `- \`${r.variant.id}\`: ${r.variant.source}.`),
  ].join('\n');
}

/**
 * What the variant table says, in sentences computed from it (the notebook's
 * prose): the default's gains, the variants that give a positive mean gain,
 * and those that move it most.
 */
export function fbpcVariantSummary(study: FbpcVariantStudy): string {
  const rows = fbpcVariantRows(study);
  const base = rows.find((r) => r.id === 'default');
  if (!base) return 'The study has no default variant to compare with.';
  const others = rows.filter((r) => r !== base);
  const positive = rows.filter((r) => r.meanGain > 0).map((r) => `\`${r.id}\``);
  const best = rows.reduce((a, b) => (b.meanGain > a.meanGain ? b : a));
  const byType = base.gains.map((g) => `${g.noise} ${points(g.gain)}`).join(', ');
  const moved = [...others].sort((a, b) => Math.abs(b.meanGain - base.meanGain) - Math.abs(a.meanGain - base.meanGain))[0];
  const defaults = study.results.find((r) => r.variant.id === 'default')!.instances;
  const reach = (which: 'trained' | 'initial') => mean(defaults.map((i) => i.reach[which])).toFixed(0);
  return [
    `The default reading gives a mean level-${study.level} gain of ${points(base.meanGain)} points (${byType}) at a clean accuracy of ${(100 * base.cleanLast).toFixed(1)} % (step 0: ${(100 * base.cleanFirst).toFixed(1)} %).`,
    positive.length ? `A positive mean gain: ${positive.join(', ')}.` : 'No variant gives a positive mean gain.',
    `The largest mean gain is \`${best.id}\`'s (${points(best.meanGain)} points)${moved ? `; the variant that moves it most from the default is \`${moved.id}\` (${points(moved.meanGain - base.meanGain)} points)` : ''}.`,
    `The default decoder reaches C = ${reach('trained')} prediction elements per r2 unit after training and ${reach('initial')} at its initialisation (Predify computes C once, at the first training batch, and saves it; we use the trained decoder's).`,
  ].join(' ');
}

/** The types whose training length the study varies: the task-trained pair and the FB-PC decoder. */
export const TRAINING_LENGTH_TYPES: readonly RecurrenceType[] = ['FB-TT', 'LR-TT', 'FB-PC'];

/** One type trained at one length, on one core. */
export interface TrainingLengthResult {
  type: RecurrenceType;
  /** Factor on the profile's batches. */
  factor: number;
  /** Batches it trained (its own config: the task-trained types' or the decoder's, times the factor). */
  batches: number;
  batchSize: number;
  core: number;
  level: number;
  images: number;
  instances: (InstanceEndpoints & { training: StudyTraining })[];
  evalSeconds: number;
  evalImagesPerSec: number;
  /** The evaluation's seconds (the training jobs report their own). */
  computeSeconds: number;
}

/** The training-length study of one core. */
export interface TrainingLengthStudy {
  profile: string;
  core: number;
  level: number;
  factors: number[];
  results: TrainingLengthResult[];
}

/** One row of the training-length table. */
export interface TrainingLengthRow extends EndpointSummary {
  type: RecurrenceType;
  factor: number;
  batches: number;
}

/** Rows by factor, then type in {@link TRAINING_LENGTH_TYPES} order. */
export function trainingLengthRows(study: TrainingLengthStudy): TrainingLengthRow[] {
  const order = (r: TrainingLengthResult) => r.factor * 100 + TRAINING_LENGTH_TYPES.indexOf(r.type);
  return [...study.results].sort((a, b) => order(a) - order(b)).map((r) => ({ type: r.type, factor: r.factor, batches: r.batches, ...summariseEndpoints(r.instances) }));
}

/** The training-length table as Markdown (accuracies in %, gains in percentage points). */
export function trainingLengthMarkdown(study: TrainingLengthStudy): string {
  const rows = trainingLengthRows(study);
  const head = ['network', 'factor', 'batches', 'clean accuracy, last step (%)', ...NOISE_TYPES.map((n) => `gain ${n}`), 'mean gain', 'mean influence, layer 1'];
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [
    `Training length, profile ${study.profile}, core ${study.core}, instances averaged, ${study.results[0]?.images ?? 0} test images per condition; gains: accuracy at the last step − step 0 at noise level ${study.level}, percentage points.`,
    '',
    line(head),
    line(head.map(() => '---')),
    ...rows.map((r) => line([r.type, `${r.factor}x`, String(r.batches), (100 * r.cleanLast).toFixed(1), ...r.gains.map((g) => points(g.gain)), points(r.meanGain), r.influence.toPrecision(3)])),
    '',
    ...gainRanking(study).map((r) => `- ${r.factor}x: ${r.ranking.join(' > ')}`),
  ].join('\n');
}

/** At each factor, the types ranked by mean gain, largest first. */
export function gainRanking(study: TrainingLengthStudy): { factor: number; ranking: RecurrenceType[] }[] {
  const rows = trainingLengthRows(study);
  return study.factors.map((factor) => ({ factor, ranking: rows.filter((r) => r.factor === factor).sort((a, b) => b.meanGain - a.meanGain).map((r) => r.type) }));
}

/** What the training-length study says, computed from it: each type's mean gain from the shortest to the longest training, and whether the ranking holds. */
export function trainingLengthSummary(study: TrainingLengthStudy): string {
  const rows = trainingLengthRows(study);
  const factors = [...study.factors].sort((a, b) => a - b);
  const [lo, hi] = [factors[0], factors.at(-1)];
  const moves = TRAINING_LENGTH_TYPES.map((type) => {
    const at = (f: number | undefined) => rows.find((r) => r.type === type && r.factor === f);
    const [a, b] = [at(lo), at(hi)];
    return a && b ? { gain: `${type} ${points(a.meanGain)} → ${points(b.meanGain)}`, influence: `${type} ${a.influence.toPrecision(2)} → ${b.influence.toPrecision(2)}` } : null;
  }).filter((s): s is { gain: string; influence: string } => s !== null);
  const rankings = gainRanking(study);
  const same = rankings.every((r) => r.ranking.join() === rankings[0]!.ranking.join());
  return [
    `Mean level-${study.level} gain (points) from ${lo}x to ${hi}x the profile's batches: ${moves.map((m) => m.gain).join('; ')}.`,
    `Mean layer-1 influence over the same lengths: ${moves.map((m) => m.influence).join('; ')}.`,
    same ? `The ranking by mean gain is the same at every length (${rankings[0]?.ranking.join(' > ')}).` : `The ranking by mean gain changes with length: ${rankings.map((r) => `${r.factor}x ${r.ranking.join(' > ')}`).join('; ')}.`,
  ].join(' ');
}
