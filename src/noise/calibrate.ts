/**
 * Calibration of the six noise levels per type (Methods 4.1): for each level,
 * the parameter at which the feedforward core's accuracy on the validation
 * split is about 90, 75, 60, 45, 35 and 30 %, found by bisection.
 *
 * Bisection runs on a strength `u` in [0, 1] mapped monotonically to the
 * parameter (linear for pixel noise, blur and occlusion; log-spaced for
 * contrast, 1 → 0.001). Every accuracy measured is kept; each level starts
 * from the tightest bracket any earlier measurement gives, then halves it
 * until the accuracy is within `tolerance` of the target or `maxSteps` is used.
 * The noise draw is keyed by level, so the accuracy reported for a level is
 * measured with that level's own images.
 */
import { checkNumber } from '../check';
import { assertLevel, assertNoiseType, NOISE_PARAMS, NoiseType, NUM_LEVELS } from './degrade';

/** Target feedforward accuracy of levels 1-6 (Methods 4.1). */
export const CALIBRATION_TARGETS = [0.9, 0.75, 0.6, 0.45, 0.35, 0.3] as const;

/** One accuracy measurement. */
export interface CalibrationPoint {
  /** Bisection strength in [0, 1]. */
  u: number;
  /** Noise parameter. */
  param: number;
  /** Level whose random key was used. */
  level: number;
  /** Feedforward accuracy on the calibration images. */
  accuracy: number;
}

/** The chosen parameter of one level. */
export interface LevelCalibration {
  level: number;
  target: number;
  param: number;
  /** Accuracy achieved at `param` with this level's noise draw. */
  accuracy: number;
  /** Accuracy evaluations spent on this level. */
  steps: number;
}

/** Calibration of one noise type. */
export interface TypeCalibration {
  type: NoiseType;
  levels: LevelCalibration[];
  /** Every measurement, for the calibration-curve figure. */
  points: CalibrationPoint[];
}

/** Options for {@link calibrateType}. */
export interface CalibrateTypeOptions {
  /** Stop when |accuracy − target| ≤ tolerance (fraction, e.g. 0.01). */
  tolerance: number;
  /** Most evaluations per level. */
  maxSteps: number;
  /** Called after every evaluation (progress). */
  onEvaluate?: (point: CalibrationPoint) => void;
}

/** The noise parameter of strength `u` in [0, 1]. */
export function paramAt(type: NoiseType, u: number): number {
  const { none, extreme, integer } = NOISE_PARAMS[type];
  if (type === 'contrast') return Math.pow(extreme, u); // 1 at u = 0
  const p = none + (extreme - none) * u;
  return integer ? Math.round(p) : p;
}

/**
 * Calibrates one noise type. `accuracyAt(param, level)` measures the core's
 * accuracy with that parameter and that level's noise draw; it must fall as
 * the strength rises.
 */
export function calibrateType(
  type: NoiseType,
  accuracyAt: (param: number, level: number) => number,
  options: CalibrateTypeOptions,
): TypeCalibration {
  const points: CalibrationPoint[] = [];
  const evaluate = (u: number, level: number): CalibrationPoint => {
    const param = paramAt(type, u);
    const hit = points.find((p) => p.param === param && p.level === level);
    if (hit) return hit;
    const point = { u, param, level, accuracy: accuracyAt(param, level) };
    points.push(point);
    options.onEvaluate?.(point);
    return point;
  };
  const levels: LevelCalibration[] = [];
  for (let level = 1; level <= NUM_LEVELS; level++) {
    const target = CALIBRATION_TARGETS[level - 1]!;
    // Tightest bracket from everything measured so far (any level's draw).
    let lo = 0;
    let hi = 1;
    for (const p of points) {
      if (p.accuracy >= target && p.u > lo) lo = p.u;
      if (p.accuracy <= target && p.u < hi) hi = p.u;
    }
    if (hi < lo) hi = lo;
    let best: CalibrationPoint | null = null;
    let steps = 0;
    const consider = (p: CalibrationPoint) => {
      if (!best || Math.abs(p.accuracy - target) < Math.abs(best.accuracy - target)) best = p;
    };
    while (steps < options.maxSteps) {
      const u = (lo + hi) / 2;
      const before = points.length;
      const p = evaluate(u, level);
      if (points.length > before) steps++;
      consider(p);
      if (Math.abs(p.accuracy - target) <= options.tolerance) break;
      if (p.accuracy > target) lo = u;
      else hi = u;
      // A count parameter cannot be split further.
      if (paramAt(type, lo) === paramAt(type, hi) || (NOISE_PARAMS[type].integer && Math.abs(paramAt(type, hi) - paramAt(type, lo)) <= 1)) {
        consider(evaluate(lo, level));
        consider(evaluate(hi, level));
        break;
      }
    }
    const chosen = best as CalibrationPoint | null;
    if (!chosen) throw new Error(`calibrateType(${type}): no evaluation for level ${level} (maxSteps ${options.maxSteps})`);
    levels.push({ level, target, param: chosen.param, accuracy: chosen.accuracy, steps });
  }
  return { type, levels, points };
}

/** Noise calibration settings. */
export interface CalibrationConfig {
  /** Validation images used (the last n of the 5000-image validation split when smaller). */
  images: number;
  /** Stop bisecting a level when within this many accuracy points (fraction) of its target. */
  tolerance: number;
  /** Most bisection steps per level. */
  maxSteps: number;
}

/** Checks every number of a calibration configuration; `where` prefixes the message. */
export function checkCalibrationConfig(cfg: CalibrationConfig, where: string): void {
  checkNumber(cfg.images, `${where}.images`, { integer: true, min: 1 });
  checkNumber(cfg.tolerance, `${where}.tolerance`, { min: 0, max: 1, minOpen: true });
  checkNumber(cfg.maxSteps, `${where}.maxSteps`, { integer: true, min: 1 });
}

/** Noise parameters per type and level (index 0 = level 1), with what they achieved. */
export interface Calibration {
  /** Hash of the core the levels were calibrated on. */
  coreHash: string;
  seed: number;
  images: number;
  targets: readonly number[];
  types: Record<NoiseType, TypeCalibration>;
}

/** The calibrated parameter of a noise type and level (level 0 = clean: the type's neutral value). */
export function noiseParam(calibration: Calibration, type: NoiseType, level: number): number {
  assertNoiseType(type);
  assertLevel(level);
  if (level === 0) return type === 'contrast' ? 1 : 0;
  const l = calibration.types[type].levels[level - 1];
  if (!l) throw new Error(`calibration for ${type} has no level ${level}`);
  return l.param;
}
