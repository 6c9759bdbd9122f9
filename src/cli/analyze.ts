/**
 * `repro analyze`: the analyses of `src/analysis` on matrices from files.
 *
 *   repro analyze participation-ratio --x X [--no-unit-norm] [--out FILE]
 *   repro analyze denoising --clean-ff A --noisy-ff B --noisy-rec C [--out FILE]
 *   repro analyze predictivity --x FEATURES --y RESPONSES [--labels L] [--components 25]
 *                              [--splits 10] [--seed 1] [--ceiling-formula r2/c] [--out FILE]
 *
 * Inputs are `FILE.npy` or `FILE.h5:/path/to/dataset` (float32 or float64),
 * `[samples, units]` with the same samples in the same order across inputs.
 * Each subcommand prints a one-line summary and then its result as one JSON
 * object on the last line of stdout (NaN and ±Infinity become null), and
 * writes the same JSON to `--out FILE` when given.
 *
 * A subcommand is one entry of {@link SUBCOMMANDS}: its options (which also
 * make its `--help`) and a `run` that reads them and returns the result.
 *
 * Exit codes: bad input (an unknown or missing option, a bad value, a file
 * that is not `.npy`/HDF5, a missing dataset, a wrong rank, differing sample
 * counts, NaN or Inf, more components than the data allow) writes ONE line to
 * stderr, `repro analyze SUBCOMMAND: ...` naming the option, file, field and
 * expectation, and sets `process.exitCode = 2`; {@link runAnalyzeCommand}
 * then resolves normally, so the top-level command line needs only
 * `case 'analyze': await runAnalyzeCommand(rest); return;`. Anything else (a
 * bug, an unwritable `--out`) rejects, for the top level to report as it
 * reports other failures.
 */
import { initBackend } from '../backend';
import { type NumericArray, denoisingPerPair } from '../analysis/denoising';
import { crossLayerDimensionality, crossLayerDimensionalitySubsampled, participationRatio } from '../analysis/dimensionality';
import { principalAxesFloat64 } from '../analysis/pca';
import { principalAnglesFloat64 } from '../analysis/subspace';
import { type CeilingFormula, type Split, maxPlsComponents, neuralPredictivity, shuffleSplits } from '../analysis/predictivity';
import { mean, median, oneSampleTTest } from '../analysis/stats';
import { type InputArray, InputError, readMatrix } from '../io/matrixInput';
import { writeFileAtomic } from '../io/cache';

/** A bad command line or bad input: its message is the one line for stderr; the exit code is 2. */
export class AnalyzeInputError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'AnalyzeInputError';
  }
}

/** One option of a subcommand. */
interface OptionSpec {
  /** Name without the leading dashes, e.g. `clean-ff`. */
  name: string;
  /** Placeholder of its value in the usage (e.g. `FILE`); null for a flag. */
  value: string | null;
  /** Whether it must be given. */
  required?: boolean;
  /** The default, as shown in the help. */
  defaultValue?: string;
  /** One line of help. */
  help: string;
}

/** The parsed options of one subcommand, with typed accessors that throw {@link AnalyzeInputError}. */
class ParsedOptions {
  constructor(private readonly values: Map<string, string | true>) {}

  /** The value of a required option (the parser has checked it is there). */
  required(name: string): string {
    const v = this.values.get(name);
    if (typeof v !== 'string') throw new AnalyzeInputError(`missing required option --${name}`);
    return v;
  }

  optional(name: string): string | undefined {
    const v = this.values.get(name);
    return typeof v === 'string' ? v : undefined;
  }

  flag(name: string): boolean {
    return this.values.get(name) === true;
  }

  /** An integer option in [min, max]; `undefined` when absent. */
  integer(name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
    const text = this.optional(name);
    if (text === undefined) return undefined;
    const v = Number(text);
    if (!/^[+-]?\d+$/.test(text.trim()) || !Number.isSafeInteger(v) || v < min || v > max) {
      throw new AnalyzeInputError(`--${name} must be an integer ${max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `in [${min}, ${max}]`}, got '${text}'`);
    }
    return v;
  }
}

/** What a subcommand's run returns: a line for people and the JSON result. */
interface SubcommandOutput {
  summary: string;
  result: Record<string, unknown>;
}

/** A subcommand: its name, help and options, and what it does. */
interface Subcommand {
  name: string;
  /** Its usage line (without `repro analyze`). */
  usage: string;
  /** One line for `repro analyze --help`. */
  summary: string;
  /** The preprocessing and the result, for its `--help`. */
  description: string;
  /** Its own options; `--out` and `--help` are added to every subcommand. */
  options: OptionSpec[];
  run(options: ParsedOptions): Promise<SubcommandOutput>;
}

const OUT_OPTION: OptionSpec = { name: 'out', value: 'FILE', help: 'also write the JSON result to FILE' };

/** Reads one input matrix; an {@link InputError} becomes an {@link AnalyzeInputError} naming the option. */
async function readOption(option: string, spec: string, layouts?: string[][]): Promise<InputArray> {
  try {
    return await readMatrix(spec, { layouts });
  } catch (err) {
    if (err instanceof InputError) throw new AnalyzeInputError(`--${option} ${err.message}`);
    throw err;
  }
}

function inputError(option: string, input: InputArray, problem: string): AnalyzeInputError {
  return new AnalyzeInputError(`--${option} ${new InputError(input.file, input.field, problem).message}`);
}

function shapeText(shape: number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Whether every column of `input`, seen as [rows, last dimension], holds one value throughout. */
function hasOnlyConstantColumns(input: InputArray): boolean {
  const columns = input.shape[input.shape.length - 1]!;
  for (let k = columns; k < input.data.length; k++) if (input.data[k] !== input.data[k % columns]) return false;
  return true;
}

const participationRatioCommand: Subcommand = {
  name: 'participation-ratio',
  usage: 'participation-ratio --x X [--no-unit-norm] [--out FILE]',
  summary: 'dimensionality of activity X [samples, units] (Methods 4.3, equation 2)',
  description: `Participation ratio PR = (Σ λ)² / Σ λ² of the eigenvalues λ of the covariance of X
[samples, units] over samples (Lindsay et al., Methods 4.3, equation 2).
Preprocessing: each unit (column) is centred over the samples and then scaled to unit
L2 norm over the samples (so the PCA is of the correlation matrix); units that are
constant stay 0. --no-unit-norm keeps the centring only (covariance PCA).
Result: {"participationRatio"}, between 1 and min(samples − 1, units).`,
  options: [
    { name: 'x', value: 'X', required: true, help: 'activity [samples, units]: FILE.npy or FILE.h5:/dataset' },
    { name: 'no-unit-norm', value: null, help: 'centre the units but do not scale them to unit norm' },
  ],
  async run(options) {
    const x = await readOption('x', options.required('x'));
    const [samples, units] = x.shape as [number, number];
    if (samples < 2) throw inputError('x', x, `has ${samples} sample (shape ${shapeText(x.shape)}); the participation ratio needs at least 2`);
    if (hasOnlyConstantColumns(x)) throw inputError('x', x, `every unit is constant over the ${samples} samples; the participation ratio is undefined`);
    const unitNorm = !options.flag('no-unit-norm');
    const pr = participationRatio(x.data, { samples, units }, { unitNorm });
    return {
      summary: `participation ratio ${pr.toPrecision(6)} of ${samples} samples x ${units} units (${unitNorm ? 'centred, unit-norm units' : 'centred units'})`,
      result: { participationRatio: pr },
    };
  },
};

const denoisingCommand: Subcommand = {
  name: 'denoising',
  usage: 'denoising --clean-ff A --noisy-ff B --noisy-rec C [--out FILE]',
  summary: 'de-noising d per image pair (Methods 4.3, equation 1) and its t-test',
  description: `De-noising per sample (image pair) i (Lindsay et al., Methods 4.3, equation 1):
  d_i = r(A_i, C_i) − r(A_i, B_i)
with r the Pearson correlation over units of row i of A (clean image, before recurrence),
B (noisy image, before recurrence) and C (noisy image, after recurrence), each
[samples, units] with the same samples and units in the same order. No other
preprocessing: Pearson r itself ignores each pattern's mean and scale.
Result: {"denoising": [d per sample], "mean", "median", "tStatistic", "pValue"} with a
two-sided one-sample t-test of the mean of d against 0 (df = samples − 1).`,
  options: [
    { name: 'clean-ff', value: 'A', required: true, help: 'clean images before recurrence [samples, units]' },
    { name: 'noisy-ff', value: 'B', required: true, help: 'noisy images before recurrence [samples, units]' },
    { name: 'noisy-rec', value: 'C', required: true, help: 'noisy images after recurrence [samples, units]' },
  ],
  async run(options) {
    const names = ['clean-ff', 'noisy-ff', 'noisy-rec'] as const;
    const a = await readOption('clean-ff', options.required('clean-ff'));
    const b = await readOption('noisy-ff', options.required('noisy-ff'));
    const c = await readOption('noisy-rec', options.required('noisy-rec'));
    const inputs = [a, b, c];
    const [samples, units] = a.shape as [number, number];
    inputs.forEach((input, k) => {
      const [s, u] = input.shape as [number, number];
      if (s !== samples) throw inputError(names[k]!, input, `has ${s} samples (shape ${shapeText(input.shape)}) but --clean-ff has ${samples}; expected the same samples in the same order`);
      if (u !== units) throw inputError(names[k]!, input, `has ${u} units (shape ${shapeText(input.shape)}) but --clean-ff has ${units}; expected the same units in the same order`);
    });
    if (units < 2) throw inputError('clean-ff', a, `has ${units} unit per sample; Pearson r over units needs at least 2`);
    if (samples < 2) throw inputError('clean-ff', a, `has ${samples} sample; the t-test needs at least 2`);
    inputs.forEach((input, k) => {
      for (let i = 0; i < samples; i++) {
        const row = input.data.subarray(i * units, (i + 1) * units);
        if (row.every((v) => v === row[0])) throw inputError(names[k]!, input, `row ${i} is constant over its ${units} units; Pearson r is undefined`);
      }
    });
    const d = denoisingPerPair(a.data, b.data, c.data, { pairs: samples, units });
    const t = oneSampleTTest(d);
    return {
      summary: `de-noising over ${samples} samples x ${units} units: mean ${t.mean.toPrecision(4)}, t(${t.df}) = ${t.t.toPrecision(4)}, p = ${t.pValue.toPrecision(3)}`,
      result: { denoising: Array.from(d), mean: mean(d), median: median(d), tStatistic: t.t, pValue: t.pValue },
    };
  },
};

const CEILING_FORMULAS: readonly CeilingFormula[] = ['r2/c', '(r/c)^2'];

const predictivityCommand: Subcommand = {
  name: 'predictivity',
  usage: 'predictivity --x FEATURES --y RESPONSES [--labels L] [--components 25] [--splits 10] [--seed 1] [--ceiling-formula r2/c] [--out FILE]',
  summary: 'Brain-Score-style neural predictivity (PLS regression + Pearson r, split-half ceiling)',
  description: `Neural predictivity of RESPONSES from model FEATURES [samples, features] as Brain-Score's
regression_correlation ("pls") metric computes it: for each of --splits random splits of the
samples (90% train, stratified by --labels when given), fit PLS regression with --components
components (scikit-learn PLSRegression(scale=False)) on the training samples, predict the
held-out ones, take Pearson r per neuroid and the median over neuroids. Score = mean over
splits; scoreError = s.d. over splits (ddof 0) / sqrt(splits); perNeuroid = each neuroid's r
averaged over splits. Preprocessing: none beyond PLS's own centring (no scaling) of
features and responses.
RESPONSES are [samples, neuroids], or [repetitions, samples, neuroids]: then the score uses
the mean over repetitions and the ceiling is Brain-Score's internal consistency (10 random
halvings of the repetitions, each half averaged, Pearson r per neuroid between halves,
Spearman-Brown 2r/(1+r), median over neuroids, mean over halvings) and the ceiled score is
r²/c (default; Brain-Score since 2026) or (r/c)² (Brain-Score 1.x and vision 2.0; quote it
in the shell). Without repetitions ceiling and ceiledScore are null.
--components defaults to 25, capped at min(features, training samples − 1); a larger explicit
value is an error. Splits and halvings are drawn from --seed (our generator, not numpy's).
Result: {"score", "scoreError", "ceiling", "ceiledScore", "perNeuroid": [...], "components"}.`,
  options: [
    { name: 'x', value: 'FEATURES', required: true, help: 'model features [samples, features]' },
    { name: 'y', value: 'RESPONSES', required: true, help: 'responses [samples, neuroids] or [repetitions, samples, neuroids]' },
    { name: 'labels', value: 'L', help: 'stimulus category per sample, [samples] or [samples, 1] (float), to stratify the splits' },
    { name: 'components', value: 'N', defaultValue: '25, capped by the data', help: 'PLS components' },
    { name: 'splits', value: 'N', defaultValue: '10', help: 'number of train/test splits' },
    { name: 'seed', value: 'S', defaultValue: '1', help: 'seed of the splits and halvings, an integer in [0, 2^32)' },
    { name: 'ceiling-formula', value: 'F', defaultValue: 'r2/c', help: "ceiled score: 'r2/c' or '(r/c)^2'" },
  ],
  async run(options) {
    const components = options.integer('components', 1);
    const splits = options.integer('splits', 1) ?? 10;
    const seed = options.integer('seed', 0, 2 ** 32 - 1) ?? 1;
    const formula = options.optional('ceiling-formula') ?? 'r2/c';
    const ceilingFormula = CEILING_FORMULAS.find((f) => f === formula);
    if (ceilingFormula === undefined) throw new AnalyzeInputError(`--ceiling-formula must be 'r2/c' or '(r/c)^2', got '${formula}'`);

    const x = await readOption('x', options.required('x'), [['samples', 'features']]);
    const y = await readOption('y', options.required('y'), [['samples', 'neuroids'], ['repetitions', 'samples', 'neuroids']]);
    const [samples, features] = x.shape as [number, number];
    const ySamples = y.shape[y.shape.length - 2]!;
    if (ySamples !== samples) {
      throw inputError('y', y, `has ${ySamples} samples (shape ${shapeText(y.shape)}) but --x has ${samples} (shape ${shapeText(x.shape)}); expected the same samples in the same order`);
    }
    if (hasOnlyConstantColumns(x)) throw inputError('x', x, `every feature is constant over the ${samples} samples; nothing to regress on`);
    if (hasOnlyConstantColumns(y)) throw inputError('y', y, 'every neuroid is constant; Pearson r is undefined');
    if (y.shape.length === 3 && y.shape[0]! < 2) throw inputError('y', y, `has ${y.shape[0]} repetition (shape ${shapeText(y.shape)}); the ceiling needs at least 2, or give [samples, neuroids]`);
    const nTrain = Math.floor(0.9 * samples);
    if (samples - nTrain < 3) throw inputError('x', x, `has ${samples} samples, which leaves ${samples - nTrain} held out per split; Pearson r needs at least 3 (at least 21 samples)`);
    const cap = maxPlsComponents(nTrain, features);
    if (components !== undefined && components > cap) {
      throw new AnalyzeInputError(`--components ${components} is more than the data allow: at most ${cap} = min(features ${features}, training samples ${nTrain} − 1) for --x ${x.spec}`);
    }
    let labels: NumericArray | undefined;
    const labelsSpec = options.optional('labels');
    if (labelsSpec !== undefined) {
      const l = await readOption('labels', labelsSpec, [['samples'], ['samples', '1']]);
      if (l.shape.length === 2 && l.shape[1] !== 1) throw inputError('labels', l, `has shape ${shapeText(l.shape)}, expected [samples] or [samples, 1]`);
      if (l.shape[0] !== samples) throw inputError('labels', l, `has ${l.shape[0]} labels but --x has ${samples} samples; expected one per sample`);
      labels = l.data;
    }
    let splitIndices: Split[];
    try {
      splitIndices = shuffleSplits(samples, { splits, trainSize: 0.9, seed, labels });
    } catch (err) {
      if (labelsSpec === undefined || !(err instanceof Error)) throw err;
      throw new AnalyzeInputError(`--labels ${labelsSpec}: ${err.message.replace(/^shuffleSplits: /, '')}`);
    }
    const result = neuralPredictivity(x, y, { components, seed, splitIndices, ceilingFormula });
    const ceiled = result.ceiling === null ? 'no repetitions, no ceiling' : `ceiling ${result.ceiling.toFixed(4)}, ceiled score (${ceilingFormula}) ${result.ceiledScore?.toFixed(4)}`;
    return {
      summary: `predictivity of ${y.shape[y.shape.length - 1]} neuroids from ${features} features over ${samples} samples (${splits} splits, ${result.components} PLS components): score ${result.score.toFixed(4)} ± ${result.scoreError.toFixed(4)}; ${ceiled}`,
      result: { score: result.score, scoreError: result.scoreError, ceiling: result.ceiling, ceiledScore: result.ceiledScore, perNeuroid: result.perNeuroid, components: result.components },
    };
  },
};

/** The subcommands, in help order. */
/** Reads --x and --y and checks that they have the same samples. */
async function readPair(options: ParsedOptions): Promise<[InputArray, InputArray]> {
  const x = await readOption('x', options.required('x'));
  const y = await readOption('y', options.required('y'));
  if (x.shape[0] !== y.shape[0]) throw inputError('y', y, `has ${y.shape[0]} samples (shape ${shapeText(y.shape)}) but --x has ${x.shape[0]}; expected the same samples in the same order`);
  for (const [name, input] of [['x', x], ['y', y]] as const) {
    if (input.shape[0]! < 3) throw inputError(name, input, `has ${input.shape[0]} samples (shape ${shapeText(input.shape)}); at least 3 are needed`);
    if (hasOnlyConstantColumns(input)) throw inputError(name, input, `every unit is constant over the ${input.shape[0]} samples`);
  }
  return [x, y];
}

const crossDimensionalityCommand: Subcommand = {
  name: 'cross-dimensionality',
  usage: 'cross-dimensionality --x X --y Y [--subsample FRACTION --seed S] [--no-unit-norm] [--out FILE]',
  summary: 'dimensionality of the communication between two layers (Methods 4.3)',
  description: `Cross-layer dimensionality (Lindsay et al., Methods 4.3): the participation ratio
(Σ s)² / Σ s² of the singular values s of the cross-covariance XᵀY/(samples − 1) of two
layers' activity X [samples, ux] and Y [samples, uy] (the same samples in the same order).
Preprocessing as participation-ratio: each unit centred over the samples and scaled to unit
L2 norm (--no-unit-norm: centring only).
Exact on all units by default (the non-zero singular values follow from the two
[samples, samples] Gram matrices). --subsample FRACTION keeps a random FRACTION of each
layer's units (the paper used 0.2), drawn with --seed S (default 1).
Result: {"crossDimensionality", "subsample": FRACTION or null}.`,
  options: [
    { name: 'x', value: 'X', required: true, help: 'first layer [samples, units]: FILE.npy or FILE.h5:/dataset' },
    { name: 'y', value: 'Y', required: true, help: 'second layer [samples, units], same samples' },
    { name: 'subsample', value: 'FRACTION', help: 'keep this fraction of each layer\'s units (0 < FRACTION ≤ 1)' },
    { name: 'seed', value: 'S', help: 'seed of the unit subsample (default 1)' },
    { name: 'no-unit-norm', value: null, help: 'centre the units but do not scale them to unit norm' },
  ],
  async run(options) {
    const [x, y] = await readPair(options);
    const unitNorm = !options.flag('no-unit-norm');
    const xShape = { samples: x.shape[0]!, units: x.shape[1]! };
    const yShape = { samples: y.shape[0]!, units: y.shape[1]! };
    const text = options.optional('subsample');
    const seed = options.integer('seed', 0) ?? 1;
    let fraction: number | null = null;
    if (text !== undefined) {
      fraction = Number(text);
      if (!(fraction > 0 && fraction <= 1)) throw new AnalyzeInputError(`--subsample must be a fraction in (0, 1], got '${text}'`);
    } else if (options.optional('seed') !== undefined) {
      throw new AnalyzeInputError('--seed is only used with --subsample');
    }
    const value = fraction === null
      ? crossLayerDimensionality(x.data, xShape, y.data, yShape, { unitNorm }).dimensionality
      : crossLayerDimensionalitySubsampled(x.data, xShape, y.data, yShape, { unitNorm, fraction, seed }).dimensionality;
    return {
      summary: `cross-layer dimensionality ${value.toPrecision(6)} of ${xShape.samples} samples, ${xShape.units} x ${yShape.units} units${fraction === null ? ' (exact, all units)' : ` (${fraction} of the units, seed ${seed})`}`,
      result: { crossDimensionality: value, subsample: fraction },
    };
  },
};

const alignmentCommand: Subcommand = {
  name: 'alignment',
  usage: 'alignment --x X --y Y --pcs K [--out FILE]',
  summary: 'alignment of the top-K PC subspaces of two data sets (Figure 4C/E)',
  description: `Subspace alignment (Lindsay et al., Figure 4C/E): the cosine of the mean principal
angle between the subspaces spanned by the top K principal components of X [samples, units]
and of Y [samples', units] (the same units in the same order; the samples may differ).
Preprocessing: each unit centred over the samples (PCA as scikit-learn's); no scaling.
1 means the same subspace, 0 orthogonal ones. K must not exceed either data set's rank.
Computed in float64 throughout (PCA through the Gram matrix of the smaller side, bases
orthonormalised by Gram-Schmidt, cosines from an SVD), in JavaScript: O(samples x units x
min(samples, units)), seconds for a few hundred samples of tens of thousands of units.
Result: {"alignment", "principalAngleCosines": [K cosines, largest first]}.`,
  options: [
    { name: 'x', value: 'X', required: true, help: 'first data set [samples, units]: FILE.npy or FILE.h5:/dataset' },
    { name: 'y', value: 'Y', required: true, help: 'second data set [samples, units], same units' },
    { name: 'pcs', value: 'K', required: true, help: 'number of principal components of each data set' },
  ],
  async run(options) {
    const x = await readOption('x', options.required('x'));
    const y = await readOption('y', options.required('y'));
    if (x.shape[1] !== y.shape[1]) throw inputError('y', y, `has ${y.shape[1]} units (shape ${shapeText(y.shape)}) but --x has ${x.shape[1]}; expected the same units in the same order`);
    const units = x.shape[1]!;
    const k = options.integer('pcs', 1);
    if (k === undefined) throw new AnalyzeInputError('missing required option --pcs');
    const axes = ([['x', x], ['y', y]] as const).map(([name, input]) => {
      const samples = input.shape[0]!;
      if (samples < 2 || hasOnlyConstantColumns(input)) throw inputError(name, input, `needs at least 2 samples that are not all equal (shape ${shapeText(input.shape)})`);
      const all = principalAxesFloat64(input.data, { samples, units });
      if (k > all.rank) throw inputError(name, input, `supports ${all.rank} principal components (its numerical rank after centring), fewer than --pcs ${k}`);
      return all.axes.subarray(0, k * units);
    });
    const angles = principalAnglesFloat64(axes[0]!, { vectors: k, units }, axes[1]!, { vectors: k, units });
    const cosines = Array.from(angles, (t) => Math.cos(t));
    const alignment = Math.cos(angles.reduce((s, t) => s + t, 0) / angles.length);
    return {
      summary: `alignment ${alignment.toPrecision(6)} of the top-${k} PC subspaces (${units} units)`,
      result: { alignment, principalAngleCosines: cosines },
    };
  },
};

const SUBCOMMANDS: Subcommand[] = [participationRatioCommand, crossDimensionalityCommand, denoisingCommand, alignmentCommand, predictivityCommand];

function optionsOf(sub: Subcommand): OptionSpec[] {
  return [...sub.options, OUT_OPTION];
}

function analyzeHelp(): string {
  const width = Math.max(...SUBCOMMANDS.map((s) => s.name.length));
  return [
    'usage: repro analyze SUBCOMMAND [options]   (repro analyze SUBCOMMAND --help for details)',
    '',
    ...SUBCOMMANDS.map((s) => `  ${s.name.padEnd(width)}  ${s.summary}`),
    '',
    'Inputs are FILE.npy (float32/float64, C order) or FILE.h5:/path/to/dataset, [samples, units], with the',
    'same samples in the same order across inputs. The result is printed as one JSON object on the last line',
    'of stdout (NaN becomes null) and written to --out FILE when given. Bad input: one line on stderr, exit code 2.',
  ].join('\n');
}

function subcommandHelp(sub: Subcommand): string {
  const options = optionsOf(sub);
  const label = (o: OptionSpec) => `--${o.name}${o.value ? ` ${o.value}` : ''}`;
  const width = Math.max(...options.map((o) => label(o).length));
  return [
    `usage: repro analyze ${sub.usage}`,
    '',
    sub.description,
    '',
    'options:',
    ...options.map((o) => `  ${label(o).padEnd(width)}  ${o.help}${o.required ? ' (required)' : ''}${o.defaultValue ? ` (default: ${o.defaultValue})` : ''}`),
  ].join('\n');
}

function parseOptions(sub: Subcommand, args: string[]): ParsedOptions {
  const specs = optionsOf(sub);
  const values = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const m = /^--([\w-]+)(?:=(.*))?$/s.exec(arg);
    if (!m) throw new AnalyzeInputError(`unexpected argument '${arg}'; options are ${specs.map((o) => `--${o.name}`).join(', ')}`);
    const spec = specs.find((o) => o.name === m[1]);
    if (!spec) throw new AnalyzeInputError(`unknown option '--${m[1]}'; options are ${specs.map((o) => `--${o.name}`).join(', ')}`);
    if (values.has(spec.name)) throw new AnalyzeInputError(`--${spec.name} is given twice`);
    if (spec.value === null) {
      if (m[2] !== undefined) throw new AnalyzeInputError(`--${spec.name} takes no value`);
      values.set(spec.name, true);
      continue;
    }
    const value = m[2] ?? args[++i];
    if (value === undefined || (m[2] === undefined && value.startsWith('--'))) throw new AnalyzeInputError(`--${spec.name} needs a value (${spec.value})`);
    values.set(spec.name, value);
  }
  for (const spec of specs) {
    if (spec.required && !values.has(spec.name)) throw new AnalyzeInputError(`missing required option --${spec.name} ${spec.value ?? ''}`.trimEnd());
  }
  return new ParsedOptions(values);
}

/**
 * Runs `repro analyze` with the arguments after `analyze` (a leading
 * `analyze` is skipped). Prints the help, or runs one subcommand: a summary
 * line, then the JSON result as the last line of stdout, and the JSON to
 * `--out`. Bad input: one line on stderr, `process.exitCode = 2`, and the
 * promise resolves (see the top of this file); other failures reject.
 */
export async function runAnalyzeCommand(args: string[]): Promise<void> {
  const argv = args[0] === 'analyze' ? args.slice(1) : args;
  const [name, ...rest] = argv;
  let prefix = 'repro analyze';
  try {
    if (name === undefined) throw new AnalyzeInputError(`missing subcommand; expected one of ${SUBCOMMANDS.map((s) => s.name).join(', ')} (see repro analyze --help)`);
    if (name === '--help' || name === '-h' || name === 'help') {
      process.stdout.write(`${analyzeHelp()}\n`);
      return;
    }
    const sub = SUBCOMMANDS.find((s) => s.name === name);
    if (!sub) throw new AnalyzeInputError(`unknown subcommand '${name}'; expected one of ${SUBCOMMANDS.map((s) => s.name).join(', ')} (see repro analyze --help)`);
    prefix = `repro analyze ${sub.name}`;
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(`${subcommandHelp(sub)}\n`);
      return;
    }
    const options = parseOptions(sub, rest);
    // The large products run on the tensor backend; the choice is not printed (the last line of output is the JSON).
    await initBackend({ log: false });
    const { summary, result } = await sub.run(options);
    // JSON.stringify writes NaN and ±Infinity as null (JSON has no such numbers).
    const json = JSON.stringify(result);
    const out = options.optional('out');
    if (out !== undefined) writeFileAtomic(out, `${json}\n`);
    process.stdout.write(`${summary}${out !== undefined ? ` (also in ${out})` : ''}\n${json}\n`);
  } catch (err) {
    if (!(err instanceof AnalyzeInputError)) throw err;
    process.stderr.write(`${prefix}: ${err.message.replace(/\s*\n\s*/g, ' ')}\n`);
    process.exitCode = err.exitCode;
  }
}
