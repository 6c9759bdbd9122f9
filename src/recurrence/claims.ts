/**
 * The paper's claims, tested on our results: each claim states the paper's
 * value, ours (computed here from the results, never typed in), the test that
 * decides it, and a verdict. Verdicts: `holds` (the test passes), `differs`
 * (it fails), `untestable` (the data cannot decide, e.g. one core where a
 * spread over cores is needed).
 */
import { AccuracyRecord, gainBars, levelGainTable, stepSignificance } from './accuracy';
import { behaviourMatrices, CoreActivity, summariseByType, summariseMatrices } from './activity';
import { NOISE_TYPES } from '../noise/degrade';
import { RecurrenceType } from './rules';
import { CoreRobustnessRecord, GrcnnAccuracyRecord, grcnnIterationCurves, robustnessCurves } from './robustness';
import { type PredictivitySummary, RECOVERY_METHODS, type RecoveryConfusion, type RecoveryMethod } from '../analysis/modelRecovery';
import { mean, successTailProbability } from '../analysis/stats';
import { DENOISING_TEST, denoisingTest, DIMENSIONALITY_ALPHA, RatioBar, ratioBars, CHANGE_TEST } from './layerSummary';
import type { LayerName } from './recording';
import { TRAINING_LENGTH_TYPES, TrainingLengthStudy, trainingLengthRows } from './studies';

export type Verdict = 'holds' | 'differs' | 'untestable';

/** One row of the claims table. */
export interface Claim {
  /** Paper section, e.g. `2.1`. */
  section: string;
  /** Figure or text the claim comes from. */
  source: string;
  claim: string;
  paper: string;
  ours: string;
  /** How the verdict is decided. */
  test: string;
  verdict: Verdict;
}

const pts = (v: number) => `${(100 * v).toFixed(1)}`;
const f2 = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');
const verdictOf = (ok: boolean | null): Verdict => (ok === null ? 'untestable' : ok ? 'holds' : 'differs');

/** Section 2.1's claims (Figure 2A), from the accuracy records. */
export function accuracyClaims(records: readonly AccuracyRecord[]): Claim[] {
  const gains = levelGainTable(records, 5);
  const sig = stepSignificance(records);
  const present = new Set(records.map((r) => r.network));
  const gainOf = (n: RecurrenceType) => gains.find((g) => g.network === n && (g.instance === 'mean' || !gains.some((h) => h.network === n && h.instance === 'mean')))?.gain.mean ?? NaN;
  const lastTest = (n: RecurrenceType, level: number) => {
    const steps = sig.filter((s) => s.network === n && s.level === level);
    return steps.reduce((a, b) => (b.timeStep > a.timeStep ? b : a), steps[0]!);
  };
  const out: Claim[] = [];
  const raised = (['FB-TT', 'LR-TT', 'FB-PC', 'LR-SS'] as const).filter((n) => present.has(n));
  for (const n of raised) {
    const levels = [2, 3, 4, 5].map((l) => lastTest(n, l));
    const up = levels.filter((t) => t.significant && t.meanDifference > 0).map((t) => t.level);
    out.push({
      section: '2.1', source: 'Figure 2A', claim: `${n} raises accuracy above step 0 at noise levels 2-5`, paper: 'p < .05 at levels 2-5',
      ours: `significant rise at level(s) ${up.join(', ') || 'none'}; level-5 gain ${pts(gainOf(n))} points (p = ${levels[3]!.pValue.toPrecision(2)})`,
      test: 'two-sided paired t-test, last step vs step 0, over (core, instance, noise type), p < .05, at each level 2-5', verdict: verdictOf(up.length === 4),
    });
  }
  if (present.has('FB-TT') && present.has('LR-TT') && present.has('FB-PC') && present.has('LR-SS')) {
    const tt = Math.min(gainOf('FB-TT'), gainOf('LR-TT'));
    const bio = Math.max(gainOf('FB-PC'), gainOf('LR-SS'));
    out.push({ section: '2.1', source: 'Figure 2A', claim: 'task-trained networks outperform the bio-inspired ones', paper: 'yes', ours: `level-5 gain: FB-TT ${pts(gainOf('FB-TT'))}, LR-TT ${pts(gainOf('LR-TT'))} vs FB-PC ${pts(gainOf('FB-PC'))}, LR-SS ${pts(gainOf('LR-SS'))} points`, test: 'smaller task-trained gain > larger bio-inspired gain (level 5, mean over cores)', verdict: verdictOf(tt > bio) });
    out.push({ section: '2.1', source: 'Figure 2A', claim: 'surround suppression outperforms predictive feedback', paper: 'yes', ours: `LR-SS ${pts(gainOf('LR-SS'))} vs FB-PC ${pts(gainOf('FB-PC'))} points`, test: 'level-5 gain LR-SS > FB-PC', verdict: verdictOf(gainOf('LR-SS') > gainOf('FB-PC')) });
  }
  for (const n of (['FB-R', 'LR-R'] as const).filter((t) => present.has(t))) {
    const t = lastTest(n, 5);
    out.push({ section: '2.2', source: 'Figure 2B', claim: `random ${n === 'FB-R' ? 'feedback' : 'lateral'} recurrence (${n}) does not raise accuracy`, paper: 'no increase', ours: `level-5 gain ${pts(t.meanDifference)} points, p = ${t.pValue.toPrecision(2)}`, test: 'not (gain > 0 and p < .05), paired t-test at level 5', verdict: verdictOf(!(t.meanDifference > 0 && t.significant)) });
  }
  return out;
}

/**
 * Claims the training-length study can test (one core, instances averaged, so
 * no significance test): each is judged at the longest training, and its row
 * says whether the verdict is the same at every length.
 */
export function trainingLengthClaims(study: TrainingLengthStudy): Claim[] {
  const rows = trainingLengthRows(study);
  const factors = [...new Set(rows.map((r) => r.factor))].sort((a, b) => a - b);
  const row = (type: RecurrenceType, factor: number) => rows.find((r) => r.type === type && r.factor === factor);
  const complete = factors.filter((f) => TRAINING_LENGTH_TYPES.every((t) => row(t, f)));
  if (complete.length === 0) return [];
  const longest = complete.at(-1)!;
  const where = `training-length study, core ${study.core}, level ${study.level}`;
  const make = (claim: string, paper: string, test: string, value: (f: number) => string, ok: (f: number) => boolean): Claim => {
    const verdicts = complete.map(ok);
    const stable = verdicts.every((v) => v === verdicts.at(-1));
    return {
      section: '2.1, 2.3', source: where, claim, paper,
      ours: `${complete.map((f) => `${f}x (FB-TT, LR-TT ${row('FB-TT', f)!.batches} batches, decoder ${row('FB-PC', f)!.batches}): ${value(f)}`).join('; ')}; ${stable ? 'same verdict at every length' : `verdict changes with length (${complete.map((f, i) => `${f}x ${verdicts[i] ? 'holds' : 'differs'}`).join(', ')})`}`,
      test: `${test}, judged at the longest training (${longest}x)`, verdict: verdictOf(ok(longest)),
    };
  };
  const gain = (t: RecurrenceType, f: number) => row(t, f)!.meanGain;
  const influence = (t: RecurrenceType, f: number) => row(t, f)!.influence;
  return [
    make('predictive feedback raises accuracy at level 5, at longer training', 'small significant gain', 'FB-PC mean gain over the 4 noise types > 0', (f) => `FB-PC ${pts(gain('FB-PC', f))} points`, (f) => gain('FB-PC', f) > 0),
    make('task-trained networks outperform predictive feedback, at longer training', 'yes', 'smaller of FB-TT, LR-TT mean gains > FB-PC mean gain', (f) => `FB-TT ${pts(gain('FB-TT', f))}, LR-TT ${pts(gain('LR-TT', f))}, FB-PC ${pts(gain('FB-PC', f))} points`, (f) => Math.min(gain('FB-TT', f), gain('LR-TT', f)) > gain('FB-PC', f)),
    make('task-trained feedback raises accuracy on every noise type, at longer training', 'all noise types', 'FB-TT gain > 0 on each of the 4 noise types', (f) => row('FB-TT', f)!.gains.map((g) => `${g.noise} ${pts(g.gain)}`).join(', '), (f) => row('FB-TT', f)!.gains.every((g) => g.gain > 0)),
    make('mean layer-1 influence: FB-TT > LR-TT > FB-PC > 0, at longer training', '.19 > .10 > .02', 'mean influence ordered FB-TT > LR-TT > FB-PC > 0', (f) => TRAINING_LENGTH_TYPES.map((t) => `${t} ${influence(t, f).toPrecision(2)}`).join(', '), (f) => influence('FB-TT', f) > influence('LR-TT', f) && influence('LR-TT', f) > influence('FB-PC', f) && influence('FB-PC', f) > 0),
  ];
}

/** Section 2.2's claims on gains per noise type (Figure 2B). */
export function gainClaims(records: readonly AccuracyRecord[]): Claim[] {
  const bars = gainBars(records);
  const cores = Math.max(0, ...bars.map((b) => b.gain.n));
  const out: Claim[] = [];
  const mean = (network: RecurrenceType, noise: string) => {
    const b = bars.filter((x) => x.network === network && x.noise === noise);
    return b.length ? b.reduce((s, x) => s + x.gain.mean, 0) / b.length : NaN;
  };
  const significantOn = (network: RecurrenceType) => NOISE_TYPES.filter((noise) => {
    const b = bars.filter((x) => x.network === network && x.noise === noise);
    return b.length > 0 && b.every((x) => x.significant && x.gain.mean > 0);
  });
  const has = (n: RecurrenceType) => bars.some((b) => b.network === n);
  const testable = cores >= 2;
  if (has('FB-PC')) {
    const s = significantOn('FB-PC');
    out.push({ section: '2.2', source: 'Figure 2B', claim: 'predictive feedback significantly raises accuracy only on pixel noise and blur', paper: 'pixel noise and blur only', ours: `significant (every instance) on: ${s.join(', ') || 'none'}; gains ${NOISE_TYPES.map((n) => `${n} ${pts(mean('FB-PC', n))}`).join(', ')}`, test: `one-sample t-test of per-core gains, p < .05, every instance (${cores} cores)`, verdict: testable ? verdictOf(s.join() === 'pixel,blur') : 'untestable' });
  }
  if (has('FB-TT')) {
    const positive = NOISE_TYPES.filter((n) => mean('FB-TT', n) > 0);
    out.push({ section: '2.2', source: 'Figure 2B', claim: 'task-trained feedback raises accuracy on every noise type', paper: 'all noise types', ours: NOISE_TYPES.map((n) => `${n} ${pts(mean('FB-TT', n))}`).join(', '), test: 'mean gain over instances and cores > 0 on all 4 noise types', verdict: verdictOf(positive.length === 4) });
  }
  if (has('FB-TT') && has('LR-TT') && has('FB-PC') && has('LR-SS')) {
    const profile = (n: RecurrenceType) => NOISE_TYPES.map((x) => mean(n, x));
    const dist = (a: number[], b: number[]) => Math.sqrt(a.reduce((s, v, i) => s + (v - b[i]!) ** 2, 0));
    const [ft, lt, fp, ls] = (['FB-TT', 'LR-TT', 'FB-PC', 'LR-SS'] as const).map(profile) as [number[], number[], number[], number[]];
    out.push({ section: '2.2', source: 'Figure 2B', claim: 'task-trained lateral recurrence has nearly the pattern of task-trained feedback, unlike its anatomical twins', paper: 'yes', ours: `distance of per-noise gain profiles: FB-TT↔LR-TT ${pts(dist(ft, lt))}, FB-TT↔FB-PC ${pts(dist(ft, fp))}, LR-TT↔LR-SS ${pts(dist(lt, ls))} points`, test: 'Euclidean distance of the 4 per-noise gains: FB-TT↔LR-TT smaller than both FB-TT↔FB-PC and LR-TT↔LR-SS', verdict: verdictOf(dist(ft, lt) < dist(ft, fp) && dist(ft, lt) < dist(lt, ls)) });
    const best = NOISE_TYPES.reduce((a, b) => (mean('LR-SS', b) > mean('LR-SS', a) ? b : a));
    out.push({ section: '2.2', source: 'Figure 2B', claim: 'surround suppression performs best on blur', paper: 'blur', ours: `largest LR-SS gain on ${best} (${NOISE_TYPES.map((n) => `${n} ${pts(mean('LR-SS', n))}`).join(', ')})`, test: 'noise type of the largest mean LR-SS gain is blur', verdict: verdictOf(best === 'blur') });
  }
  return out;
}

/** Mean over cores of a matrix entry between two network labels. */
function entry(summary: ReturnType<typeof summariseMatrices>, a: string, b: string): number {
  const i = summary.labels.indexOf(a);
  const j = summary.labels.indexOf(b);
  return i < 0 || j < 0 ? NaN : summary.mean[i]![j]!;
}

/** Mean of the entries between the instances of two types (or one type's A-B pair when a = b). */
function between(summary: ReturnType<typeof summariseMatrices>, a: string, b: string): number {
  const la = summary.labels.filter((l) => l === a || l.startsWith(`${a} `));
  const lb = summary.labels.filter((l) => l === b || l.startsWith(`${b} `));
  const v = la.flatMap((x) => lb.filter((y) => y !== x && (a !== b || x < y)).map((y) => entry(summary, x, y))).filter(Number.isFinite);
  return v.length ? v.reduce((s, x) => s + x, 0) / v.length : NaN;
}

/** "The task-trained networks are closer to each other than to their anatomical twins" on a similarity matrix. */
function twinsClaim(section: string, source: string, what: string, summary: ReturnType<typeof summariseMatrices>): Claim {
  const tt = between(summary, 'FB-TT', 'LR-TT');
  const fb = between(summary, 'FB-TT', 'FB-PC');
  const lr = between(summary, 'LR-TT', 'LR-SS');
  return {
    section, source, claim: `${what}: the task-trained networks are more similar to each other than to their bio-inspired anatomical twins`, paper: 'yes',
    ours: `FB-TT↔LR-TT ${f2(tt)}, FB-TT↔FB-PC ${f2(fb)}, LR-TT↔LR-SS ${f2(lr)} (mean over instance pairs and cores)`, test: 'FB-TT↔LR-TT > FB-TT↔FB-PC and > LR-TT↔LR-SS',
    verdict: Number.isFinite(tt) && Number.isFinite(fb) && Number.isFinite(lr) ? verdictOf(tt > fb && tt > lr) : 'untestable',
  };
}

/** Sections 2.2-2.3's claims from the activity recordings (Figures 2C-D, 3C, 4). */
export function activityClaims(cores: readonly CoreActivity[]): Claim[] {
  if (cores.length === 0) return [];
  const labels = cores[0]!.labelsOfNetworks;
  const behaviour = cores.map(behaviourMatrices);
  const agreement = summariseMatrices(labels, behaviour.map((b) => b.agreement));
  const logits = summariseMatrices(labels, behaviour.map((b) => b.logitCorrelation));
  const influence = summariseMatrices(labels, cores.map((c) => c.influenceCorrelation));
  const top = summariseMatrices(labels, cores.map((c) => c.alignmentTop));
  const gap = summariseMatrices(labels, cores.map((c) => c.alignmentGap));
  const out: Claim[] = [twinsClaim('2.2', 'Figure 2C', 'incorrect-label agreement', agreement)];
  const sameType = between(logits, 'FB-TT', 'FB-TT');
  const ttPair = between(logits, 'FB-TT', 'LR-TT');
  out.push({ section: '2.2', source: 'Figure 2D', claim: 'logit-difference correlation is highest between instances of the same type, closely followed by the task-trained pair', paper: 'yes', ours: `FB-TT A↔B ${f2(sameType)}, LR-TT A↔B ${f2(between(logits, 'LR-TT', 'LR-TT'))}, FB-TT↔LR-TT ${f2(ttPair)}, FB-TT↔FB-PC ${f2(between(logits, 'FB-TT', 'FB-PC'))}, LR-TT↔LR-SS ${f2(between(logits, 'LR-TT', 'LR-SS'))}`, test: 'FB-TT A↔B ≥ FB-TT↔LR-TT > FB-TT↔FB-PC and LR-TT↔LR-SS', verdict: verdictOf(sameType >= ttPair && ttPair > between(logits, 'FB-TT', 'FB-PC') && ttPair > between(logits, 'LR-TT', 'LR-SS')) });
  out.push(twinsClaim('2.2', 'Figure 2D', 'logit-difference correlation', logits));
  const means = summariseByType(cores, (n) => n.influence.mean);
  const bio = means.filter((m) => ['FB-TT', 'LR-TT', 'FB-PC', 'LR-SS'].includes(m.network));
  const smallest = bio.reduce((a, b) => (b.mean < a.mean ? b : a));
  const largest = bio.reduce((a, b) => (b.mean > a.mean ? b : a));
  const fmt = (m: { network: string; mean: number; sd: number }) => `${m.network} ${f2(m.mean)}${Number.isFinite(m.sd) ? ` ± ${f2(m.sd)}` : ''}`;
  out.push({ section: '2.3', source: 'Figure 3C', claim: 'predictive feedback has the smallest mean influence, surround suppression the largest', paper: 'FB-TT .19 ± .12, LR-TT .10 ± .09, FB-PC .02 ± .03, LR-SS .94 ± .38', ours: bio.map(fmt).join(', '), test: 'argmin of the mean influence over the four types is FB-PC, argmax LR-SS', verdict: verdictOf(smallest.network === 'FB-PC' && largest.network === 'LR-SS') });
  out.push({ section: '2.3', source: 'Figure 3C', claim: 'every network has a slightly positive mean influence', paper: 'all positive', ours: means.map(fmt).join(', '), test: 'mean influence > 0 for the four types', verdict: verdictOf(bio.every((m) => m.mean > 0)) });
  out.push(twinsClaim('2.3', 'Figure 4A', 'influence correlation', influence));
  const grads = ['FB-TT', 'LR-TT'].map((t) => between(influence, t, 'Grads'));
  out.push({ section: '2.3', source: 'Figure 4A', claim: 'task-trained influences are not correlated with the gradients (Grads)', paper: 'not correlated', ours: `FB-TT↔Grads ${f2(grads[0]!)}, LR-TT↔Grads ${f2(grads[1]!)}; FB-TT↔LR-TT ${f2(between(influence, 'FB-TT', 'LR-TT'))}`, test: '|r| with Grads < 0.2 for both task-trained types', verdict: grads.every(Number.isFinite) ? verdictOf(grads.every((g) => Math.abs(g) < 0.2)) : 'untestable' });
  out.push(twinsClaim('2.3', 'Figure 4C', 'alignment of the top-200 difference PCs', top));
  out.push(twinsClaim('2.3', 'Figure 4E', 'alignment at 85 % of the performance gap', gap));
  const pcs80 = summariseByType(cores, (n) => {
    const k = n.differencePca.cumulative.findIndex((c) => c >= 0.8);
    return k < 0 ? null : k + 1;
  });
  const k80 = (t: string) => pcs80.find((p) => p.network === t)?.mean ?? NaN;
  out.push({ section: '2.3', source: 'Figure 4B', claim: 'predictive feedback influences are the highest-dimensional; task-trained and random feedback need fewer PCs than the lateral types', paper: 'FB-PC highest; FB-TT, FB-R lowest', ours: `PCs for 80 % of the variance: ${pcs80.map((p) => `${p.network} ${Number.isFinite(p.mean) ? p.mean.toFixed(0) : '> 500'}`).join(', ')}`, test: 'FB-PC needs the most PCs for 80 %; FB-TT and FB-R fewer than LR-TT, LR-SS and LR-R', verdict: verdictOf(pcs80.every((p) => p.network === 'FB-PC' || !(k80(p.network) > k80('FB-PC'))) && ['FB-TT', 'FB-R'].every((f) => ['LR-TT', 'LR-SS', 'LR-R'].every((l) => k80(f) < k80(l)))) });
  const k85 = summariseByType(cores, (n) => n.differencePca.components85);
  const paper85: Record<string, number> = { Grads: 95, 'FB-PC': 666, 'FB-TT': 71, 'LR-TT': 306, 'LR-SS': 141 };
  out.push({ section: '2.3', source: 'Figure 4E', claim: 'number of difference PCs for 85 % of the performance gap', paper: Object.entries(paper85).map(([t, k]) => `${t} ${k}`).join(', '), ours: k85.map((k) => `${k.network} ${Number.isFinite(k.mean) ? k.mean.toFixed(0) : 'n/a'}`).join(', '), test: 'ordering: FB-PC needs the most, FB-TT the fewest of the five', verdict: verdictOf(['Grads', 'FB-TT', 'LR-TT', 'LR-SS'].every((t) => !(k85.find((k) => k.network === t)!.mean > k85.find((k) => k.network === 'FB-PC')!.mean)) && ['Grads', 'FB-PC', 'LR-TT', 'LR-SS'].every((t) => !(k85.find((k) => k.network === t)!.mean < k85.find((k) => k.network === 'FB-TT')!.mean))) });
  return out;
}

/** What {@link gatedClaims} reads: the results of the gated-recurrence, GRCNN and augmentation stages. */
export interface GatedClaimsInput {
  /** Accuracy records of the recurrence stage (LR-GRCL among the types). */
  records: readonly AccuracyRecord[];
  /** The activity stage's per-core recordings and analyses. */
  activity: readonly CoreActivity[];
  /** Every GRCNN's accuracy by test-time iterations. */
  grcnn: readonly GrcnnAccuracyRecord[];
  /** Feedforward accuracy of the augmented cores. */
  robustness: readonly CoreRobustnessRecord[];
  /** Accuracy records of the recurrent networks trained on each augmented core. */
  augmentedRecurrence: readonly { augmentation: string; records: readonly AccuracyRecord[] }[];
}

const AZEGLIO_GATES = 'gated recurrence raises neural predictivity (ImageNet, Brain-Score)';
const OURS_ONLY = 'not tested (question of this project)';

/**
 * Azeglio et al.'s findings, and the questions this project asks of them, as
 * our own claims tested on MNIST: does gating change the strategy of
 * task-trained lateral recurrence (LR-GRCL against LR-TT and the bio-inspired
 * types), does it add accuracy, does the GRCNN gain from its iterations, do
 * the augmentations make cores robust, and does augmentation replace
 * recurrence. Claims whose data are missing are left out.
 */
export function gatedClaims(input: GatedClaimsInput): Claim[] {
  const out: Claim[] = [];
  const section = 'Az';
  const { records, activity } = input;
  const present = new Set(records.map((r) => r.network));
  if (present.has('LR-GRCL') && activity.length > 0 && activity[0]!.labelsOfNetworks.some((l) => l.startsWith('LR-GRCL'))) {
    const labels = activity[0]!.labelsOfNetworks;
    const agreement = summariseMatrices(labels, activity.map((c) => behaviourMatrices(c).agreement));
    const influence = summariseMatrices(labels, activity.map((c) => c.influenceCorrelation));
    for (const [what, source, m] of [['incorrect-label agreement', 'Figure 2C with LR-GRCL', agreement], ['influence correlation', 'Figure 4A with LR-GRCL', influence]] as const) {
      const tt = between(m, 'LR-GRCL', 'LR-TT');
      const pc = between(m, 'LR-GRCL', 'FB-PC');
      const ss = between(m, 'LR-GRCL', 'LR-SS');
      out.push({
        section, source, claim: `gating does not change the strategy (${what}): LR-GRCL is closer to LR-TT than to the bio-inspired types`, paper: OURS_ONLY,
        ours: `LR-GRCL↔LR-TT ${f2(tt)}, LR-GRCL↔FB-PC ${f2(pc)}, LR-GRCL↔LR-SS ${f2(ss)}; LR-GRCL A↔B ${f2(between(m, 'LR-GRCL', 'LR-GRCL'))}`,
        test: 'LR-GRCL↔LR-TT > LR-GRCL↔FB-PC and > LR-GRCL↔LR-SS (mean over instance pairs and cores)',
        verdict: [tt, pc, ss].every(Number.isFinite) ? verdictOf(tt > pc && tt > ss) : 'untestable',
      });
    }
  }
  if (present.has('LR-GRCL') && present.has('LR-TT')) {
    const bars = gainBars(records);
    const profile = (n: RecurrenceType) => NOISE_TYPES.map((noise) => {
      const b = bars.filter((x) => x.network === n && x.noise === noise);
      return b.length ? mean(b.map((x) => x.gain.mean)) : NaN;
    });
    const dist = (a: number[], b: number[]) => Math.sqrt(a.reduce((t, v, i) => t + (v - b[i]!) ** 2, 0));
    const gr = profile('LR-GRCL');
    const others = (['LR-TT', 'FB-PC', 'LR-SS'] as const).filter((n) => present.has(n)).map((n) => ({ n, d: dist(gr, profile(n)) }));
    const toTt = others.find((o) => o.n === 'LR-TT')!.d;
    out.push({
      section, source: 'Figure 2B with LR-GRCL', claim: 'gating does not change the strategy (gain by noise type): LR-GRCL\'s per-noise gains follow LR-TT\'s', paper: OURS_ONLY,
      ours: `distance of per-noise level-5 gain profiles: ${others.map((o) => `LR-GRCL↔${o.n} ${pts(o.d)}`).join(', ')} points`,
      test: 'Euclidean distance of the 4 per-noise gains: LR-GRCL↔LR-TT smallest', verdict: others.length > 1 ? verdictOf(others.every((o) => o.n === 'LR-TT' || toTt < o.d)) : 'untestable',
    });
    const gains = levelGainTable(records, 5);
    const gainOf = (n: RecurrenceType) => (gains.find((g) => g.network === n && g.instance === 'mean') ?? gains.find((g) => g.network === n))?.gain.mean ?? NaN;
    const sig = stepSignificance(records).filter((t) => t.network === 'LR-GRCL' && t.level === 5);
    const last = sig.reduce((a, b) => (b.timeStep > a.timeStep ? b : a), sig[0]!);
    out.push({
      section, source: 'Figure 2A with LR-GRCL', claim: 'gated lateral recurrence (LR-GRCL) raises accuracy at noise level 5', paper: AZEGLIO_GATES,
      ours: `level-5 gain ${pts(gainOf('LR-GRCL'))} points (p = ${last.pValue.toPrecision(2)})`, test: 'gain > 0 and p < .05, two-sided paired t-test, last step vs step 0, over (core, instance, noise type)',
      verdict: Number.isFinite(last.pValue) ? verdictOf(last.meanDifference > 0 && last.significant) : 'untestable',
    });
    out.push({
      section, source: 'Figure 2A with LR-GRCL', claim: 'the gate adds to task-trained lateral recurrence: LR-GRCL gains more than LR-TT', paper: AZEGLIO_GATES,
      ours: `level-5 gain LR-GRCL ${pts(gainOf('LR-GRCL'))} vs LR-TT ${pts(gainOf('LR-TT'))} points`, test: 'level-5 gain (mean over instances and cores) LR-GRCL > LR-TT', verdict: verdictOf(gainOf('LR-GRCL') > gainOf('LR-TT')),
    });
  }
  if (input.grcnn.length > 0) {
    const curves = grcnnIterationCurves(input.grcnn).filter((c) => c.column === 'mean' && c.levels === 'levels 1-6 (mean)');
    const at = (gated: boolean, k: number) => curves.find((c) => c.gated === gated && c.iterations === k)?.accuracy.mean ?? NaN;
    const top = Math.max(...curves.map((c) => c.iterations));
    const gatedCurve = curves.filter((c) => c.gated).map((c) => `${c.iterations}: ${pts(c.accuracy.mean)}`).join(', ');
    out.push({
      section, source: 'GRCNN (this project)', claim: 'the GRCNN\'s accuracy under degradation rises with its test-time iterations', paper: 'GRCNN with T = 3 iterations per GRCL (no test-time study)',
      ours: `mean accuracy over the 4 types and levels 1-6 by iterations, gated: ${gatedCurve} %`, test: `accuracy at ${top} iterations > at 0 (mean over networks)`, verdict: verdictOf(at(true, top) > at(true, 0)),
    });
    if (curves.some((c) => !c.gated)) {
      out.push({
        section, source: 'GRCNN (this project)', claim: 'the gated GRCNN is more robust than its ungated control (a residual stack)', paper: 'without gates a GRCL is a ResNet; gates motivated as better models',
        ours: `mean accuracy over the 4 types and levels 1-6 at ${top} iterations: gated ${pts(at(true, top))} vs ungated ${pts(at(false, top))} %`, test: `gated > ungated at ${top} iterations (mean over networks)`, verdict: verdictOf(at(true, top) > at(false, top)),
      });
    }
  }
  if (input.robustness.length > 0) {
    const curves = robustnessCurves(input.robustness).filter((c) => c.column === 'mean' && c.level >= 1);
    const augmentations = [...new Set(curves.map((c) => c.augmentation))];
    const robust = (a: string) => mean(curves.filter((c) => c.augmentation === a).map((c) => c.accuracy.mean));
    const augmented = augmentations.filter((a) => a !== 'none');
    if (augmentations.includes('none') && augmented.length > 0) {
      out.push({
        section, source: 'augmentation experiment', claim: 'each augmentation makes a feedforward core more robust to our degradations', paper: 'augmentations (CutMix, AugMix, texture/noise blending) raise Brain-Score scores',
        ours: `mean accuracy over the 4 types and levels 1-6: ${augmentations.map((a) => `${a} ${pts(robust(a))}`).join(', ')} %`, test: 'every augmentation > none (mean over cores)', verdict: verdictOf(augmented.every((a) => robust(a) > robust('none'))),
      });
    }
  }
  if (input.augmentedRecurrence.length > 0) {
    const augmentations = [...new Set(input.augmentedRecurrence.map((r) => r.augmentation))];
    const gainOn = (a: string) => {
      const table = levelGainTable(input.augmentedRecurrence.filter((r) => r.augmentation === a).flatMap((r) => r.records), 5);
      const networks = [...new Set(table.map((r) => r.network))];
      return mean(networks.map((n) => (table.find((r) => r.network === n && r.instance === 'mean') ?? table.find((r) => r.network === n)!).gain.mean));
    };
    const augmented = augmentations.filter((a) => a !== 'none');
    out.push({
      section, source: 'augmentation experiment', claim: 'augmentation does not replace recurrence: task-trained recurrence still raises accuracy on augmented cores', paper: OURS_ONLY,
      ours: `level-5 gain of recurrence: ${augmentations.map((a) => `${a} ${pts(gainOn(a))}`).join(', ')} points`, test: 'mean level-5 gain > 0 on the cores of every augmentation',
      verdict: augmented.length ? verdictOf(augmented.every((a) => gainOn(a) > 0)) : 'untestable',
    });
  }
  return out;
}

/** Significance level of the de-noising claims (Figure 5 states no test; section 2.1's level). */
export const DENOISING_ALPHA = 0.05;

/**
 * The verdict of a claim made of parts (types, layers): `differs` as soon as
 * one testable part fails, else `untestable` when a part cannot be tested,
 * else `holds`.
 */
export function combinedVerdict(parts: readonly { testable: boolean; ok: boolean }[]): Verdict {
  if (parts.some((p) => p.testable && !p.ok)) return 'differs';
  return parts.every((p) => p.testable) ? 'holds' : 'untestable';
}

/** Sections 2.4-2.5's claims (Figures 5 and 7), from the activity recordings. */
export function layerClaims(cores: readonly CoreActivity[]): Claim[] {
  if (cores.length === 0) return [];
  const present = new Set(cores.flatMap((c) => c.networks.map((n) => n.network)));
  const out: Claim[] = [];
  const p2 = (v: number | null) => (v === null ? 'n/a' : v < 1e-3 ? v.toExponential(1) : v.toPrecision(2));
  const layerNumber: Record<LayerName, string> = { r1: '1', r2: '2', r3: '3', logits: '4' };
  const dText = (network: RecurrenceType, layer: LayerName) => {
    const t = denoisingTest(cores, network, layer);
    return { t, text: `${network} layer ${layerNumber[layer]}: d = ${t.mean === null ? 'n/a' : t.mean.toFixed(3)} (${t.cells} cells, ${t.images} images, p = ${p2(t.pValue)})` };
  };
  const dTest = `${DENOISING_TEST}, p < ${DENOISING_ALPHA}; images incorrect at step 0 and correct at the last step (level 5)`;
  const positive = (t: ReturnType<typeof denoisingTest>) => t.pValue !== null && t.pValue < DENOISING_ALPHA && t.mean! > 0;
  const negative = (t: ReturnType<typeof denoisingTest>) => t.pValue !== null && t.pValue < DENOISING_ALPHA && t.mean! < 0;
  const dParts = (ts: ReturnType<typeof denoisingTest>[], ok: (t: ReturnType<typeof denoisingTest>) => boolean) => combinedVerdict(ts.map((t) => ({ testable: t.pValue !== null, ok: ok(t) })));
  const tt = (['FB-TT', 'LR-TT'] as const).filter((t) => present.has(t));

  if (present.has('FB-PC')) {
    const r1 = dText('FB-PC', 'r1');
    out.push({ section: '2.4', source: 'Figure 5', claim: 'predictive feedback de-noises layer 1', paper: 'd > 0 at layer 1 for the images it turns correct', ours: r1.text, test: `${dTest}; mean > 0`, verdict: dParts([r1.t], positive) });
    const later = (['r2', 'r3', 'logits'] as const).map((l) => dText('FB-PC', l));
    out.push({ section: '2.4', source: 'Figure 5', claim: "predictive feedback's de-noising propagates to every layer", paper: 'd > 0 at layers 2-4', ours: later.map((x) => x.text).join('; '), test: `${dTest}; mean > 0 at each of layers 2-4`, verdict: dParts(later.map((x) => x.t), positive) });
  }
  if (tt.length === 2) {
    const r1 = tt.map((n) => dText(n, 'r1'));
    out.push({ section: '2.4', source: 'Figure 5', claim: 'task-trained recurrence anti-de-noises layer 1 (noisy images move away from their clean counterparts)', paper: 'd < 0 at layer 1', ours: r1.map((x) => x.text).join('; '), test: `${dTest}; mean < 0, for FB-TT and LR-TT`, verdict: dParts(r1.map((x) => x.t), negative) });
    const r2 = tt.map((n) => dText(n, 'r2'));
    out.push({ section: '2.4', source: 'Figure 5', claim: 'task-trained recurrence does not de-noise layers 1-2', paper: 'no de-noising at layers 1 and 2', ours: [...r1, ...r2].map((x) => x.text).join('; '), test: `not (mean > 0 and p < ${DENOISING_ALPHA}) at layers 1 and 2, for FB-TT and LR-TT (${DENOISING_TEST})`, verdict: dParts([...r1, ...r2].map((x) => x.t), (t) => !positive(t)) });
    const r4 = tt.map((n) => dText(n, 'logits'));
    out.push({ section: '2.4', source: 'Figure 5', claim: 'task-trained recurrence de-noises layer 4', paper: 'd > 0 at the last layer', ours: r4.map((x) => x.text).join('; '), test: `${dTest}; mean > 0, for FB-TT and LR-TT`, verdict: dParts(r4.map((x) => x.t), positive) });
  }

  const layerBars = ratioBars(cores, { kind: 'layer' });
  const crossBars = ratioBars(cores, { kind: 'pair', method: 'exact' });
  const subBars = ratioBars(cores, { kind: 'pair', method: 'subsampled' });
  const bar = (bars: RatioBar[], network: string, what: string, group: RatioBar['group'] = 'all') => bars.find((b) => b.network === network && b.what === what && b.group === group);
  const rText = (b: RatioBar | undefined, label: string) => (b ? `${label} ${b.mean === null ? 'n/a' : b.mean.toFixed(3)}${b.sem !== null ? ` ± ${b.sem.toFixed(3)}` : ''} (${b.networks} network${b.networks === 1 ? '' : 's'}, p = ${p2(b.pValue)})` : `${label} n/a`);
  const up = (b: RatioBar | undefined) => !!b && b.significant && b.mean! > 1;
  const down = (b: RatioBar | undefined) => !!b && b.significant && b.mean! < 1;
  const rParts = (bs: (RatioBar | undefined)[], ok: (b: RatioBar | undefined) => boolean) => combinedVerdict(bs.map((b) => ({ testable: !!b && b.pValue !== null, ok: ok(b) })));
  const rTest = `${CHANGE_TEST}, p < ${DIMENSIONALITY_ALPHA}, on all clean and noisy samples`;
  if (present.has('FB-PC')) {
    const all = bar(layerBars, 'FB-PC', 'r1');
    const ic = bar(layerBars, 'FB-PC', 'r1', 'incorrect→correct');
    out.push({ section: '2.5', source: 'Figure 7A', claim: 'predictive feedback lowers layer-1 dimensionality', paper: 'after/before < 1 at layer 1, most for images turned correct', ours: `${rText(all, 'all samples')}; ${rText(ic, 'incorrect→correct')}`, test: `${rTest}; mean < 1`, verdict: rParts([all], down) });
  }
  if (tt.length === 2) {
    const bs = tt.map((n) => bar(layerBars, n, 'r1'));
    out.push({ section: '2.5', source: 'Figure 7A', claim: 'task-trained recurrence raises layer-1 dimensionality', paper: 'after/before > 1 at layer 1', ours: bs.map((b, i) => rText(b, tt[i]!)).join('; '), test: `${rTest}; mean > 1, for FB-TT and LR-TT`, verdict: rParts(bs, up) });
    const ic = tt.map((n) => bar(layerBars, n, 'logits', 'incorrect→correct'));
    const ci = tt.map((n) => bar(layerBars, n, 'logits', 'correct→incorrect'));
    out.push({
      section: '2.5', source: 'Figure 7A', claim: 'in task-trained networks, images turned correct gain layer-4 dimensionality and images turned incorrect do not', paper: 'incorrect→correct up, correct→incorrect not',
      ours: tt.map((n, i) => `${n}: ${rText(ic[i], 'incorrect→correct')}, ${rText(ci[i], 'correct→incorrect')}`).join('; '),
      test: `${CHANGE_TEST}, p < ${DIMENSIONALITY_ALPHA}: incorrect→correct mean > 1 and significant, correct→incorrect not, for FB-TT and LR-TT`,
      verdict: combinedVerdict([...ic.map((b) => ({ testable: !!b && b.pValue !== null, ok: up(b) })), ...ci.map((b) => ({ testable: !!b && b.pValue !== null, ok: !up(b) }))]),
    });
  }
  if (present.has('LR-SS')) {
    const b = bar(layerBars, 'LR-SS', 'r1');
    out.push({ section: '2.5', source: 'Figure 7A', claim: 'surround suppression raises layer-1 dimensionality', paper: 'after/before > 1 at layer 1', ours: rText(b, 'LR-SS'), test: `${rTest}; mean > 1`, verdict: rParts([b], up) });
  }
  const four = (['FB-TT', 'LR-TT', 'FB-PC', 'LR-SS'] as const).filter((t) => present.has(t));
  if (four.length) {
    const bs = four.map((n) => bar(crossBars, n, 'r1-r2'));
    const subs = four.map((n) => bar(subBars, n, 'r1-r2'));
    out.push({
      section: '2.5', source: 'Figure 7B', claim: 'every kind of recurrence raises the cross-layer dimensionality of layers 1-2', paper: 'after/before > 1 for layers 1-2, every type',
      ours: `exact: ${bs.map((b, i) => rText(b, four[i]!)).join('; ')}. 20 % unit subsample: ${subs.map((b, i) => `${four[i]} ${b?.mean === null || !b ? 'n/a' : b.mean.toFixed(3)}`).join(', ')}`,
      test: `${rTest}; exact on all units; mean > 1 for ${four.join(', ')}`, verdict: rParts(bs, up),
    });
  }
  return out;
}

const METHOD_NAMES: Record<RecoveryMethod, string> = { predictivity: 'Brain-Score predictivity (PLS)', denoising: 'the de-noising signature', dimensionality: 'the dimensionality signature' };

/**
 * Model recovery (src/analysis/modelRecovery.ts): the paper says its
 * analyses "can be applied to real neural recordings to identify the
 * strategies at play". Per method, at the least noise and the most neurons
 * of the experiment, do recordings get identified as their own recurrence
 * type more often than a uniform guess over the networks would (one-sided
 * Poisson-binomial test over the trials, pooled over cores, p < .05)? And, at
 * the most noise and fewest neurons, how much is left. With `scores` (see
 * `predictivitySummary`), the predictivity claim also says how the recorded
 * network itself scored against the winner and the ceiling.
 */
export function modelRecoveryClaims(confusion: readonly RecoveryConfusion[], scores: readonly PredictivitySummary[] = []): Claim[] {
  if (confusion.length === 0) return [];
  const least = Math.min(...confusion.map((c) => c.noiseLevel));
  const most = Math.max(...confusion.map((c) => c.neurons));
  const worstNoise = Math.max(...confusion.map((c) => c.noiseLevel));
  const fewest = Math.min(...confusion.map((c) => c.neurons));
  return RECOVERY_METHODS.flatMap((method): Claim[] => {
    const best = confusion.filter((c) => c.method === method && c.noiseLevel === least && c.neurons === most);
    if (best.length === 0) return [];
    const correct = best.reduce((s, c) => s + Math.round(c.accuracy * c.trials), 0);
    const trials = best.reduce((s, c) => s + c.trials, 0);
    const chances = best.flatMap((c) => c.counts.flatMap((row, i) => new Array<number>(row.reduce((a, b) => a + b, 0)).fill(c.chanceByGroup[i]!)));
    const p = successTailProbability(correct, chances);
    const worst = confusion.filter((c) => c.method === method && c.noiseLevel === worstNoise && c.neurons === fewest);
    const worstAcc = worst.length ? worst.reduce((s, c) => s + c.accuracy * c.trials, 0) / worst.reduce((s, c) => s + c.trials, 0) : NaN;
    const own = method === 'predictivity' ? scores.find((x) => x.noiseLevel === least && x.neurons === most) : undefined;
    const ownText = own ? `; the recorded network's own score ${f2(own.sourceScore)}, the winner's ${f2(own.bestScore)}, ceiling ${f2(own.ceiling)}` : '';
    return [{
      section: '2.6', source: 'model recovery (this project)', claim: `${METHOD_NAMES[method]} identifies which type of network a noisy recording came from`,
      paper: 'the analyses "can be applied to real neural recordings to identify the strategies at play in the brain" (not tested on ground truth)',
      ours: `noise ${least}, ${most} neurons: ${correct} of ${trials} recordings identified as their type (${pts(correct / trials)} %, chance ${pts(mean(chances))} %, p = ${p.toPrecision(2)}); noise ${worstNoise}, ${fewest} neurons: ${pts(worstAcc)} %${ownText}`,
      test: 'one-sided test against a uniform guess over the networks (Poisson-binomial over recordings, pooled over cores), p < .05, at the least noise and most neurons',
      verdict: verdictOf(p < 0.05),
    }];
  });
}

/** Every claim of sections 2.1-2.5 that the results support testing, in section order. */
export function paperClaims(records: readonly AccuracyRecord[], activity: readonly CoreActivity[]): Claim[] {
  const all = [...accuracyClaims(records), ...gainClaims(records), ...activityClaims(activity), ...layerClaims(activity)];
  return all.sort((a, b) => a.section.localeCompare(b.section));
}

/** One sentence per verdict count, e.g. for a notebook's summary: "7 of 9 claims hold; differ: …". */
export function claimsSummary(claims: readonly Claim[]): string {
  const count = (v: Verdict) => claims.filter((c) => c.verdict === v);
  const differ = count('differs');
  const untestable = count('untestable');
  return [
    `${count('holds').length} of ${claims.length} claims hold in this run.`,
    differ.length ? `Differ: ${differ.map((c) => `${c.claim} (${c.source})`).join('; ')}.` : 'None differs.',
    untestable.length ? `Not testable with these data: ${untestable.map((c) => c.claim).join('; ')}.` : '',
  ].filter(Boolean).join(' ');
}

/** The claims as a Markdown table (for the README and reports). */
export function claimsMarkdown(claims: readonly Claim[]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  return [
    '| section | source | claim | paper | ours | verdict |',
    '|---|---|---|---|---|---|',
    ...claims.map((c) => `| ${c.section} | ${esc(c.source)} | ${esc(c.claim)} | ${esc(c.paper)} | ${esc(c.ours)} | **${c.verdict}** |`),
  ].join('\n');
}
