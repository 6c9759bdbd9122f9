/**
 * `repro bench`: training and inference throughput of the core of Table 1 at
 * batch 64 on the selected backend, beside PyTorch on CPU (Debian's
 * python3-torch, same architecture, same thread count) measured in the same
 * command, so the ratio is meaningful on a noisy machine; and the time of
 * `participationRatio` on a layer-1-sized activity matrix (2000 images ×
 * 25088 units), beside the same computation in numpy (one BLAS thread); and
 * the recurrence evaluation's throughput in image-steps/s (every network of a
 * core, as one evaluation job runs them), beside the core's inference
 * throughput measured in the same command.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { participationRatio } from '../analysis/dimensionality';
import { initBackend } from '../backend';
import { CORE_PARAM_NAMES, CoreParamName, coreLogits, initCoreWeights, mapCoreWeights } from '../model/core';
import { makeSgdStep } from '../model/trainCore';
import { loadMnist, sliceSet } from '../data/mnist';
import type { Calibration, TypeCalibration } from '../noise/calibrate';
import type { NoiseType } from '../noise/degrade';
import { disposeNetwork, makeNetwork } from '../recurrence/networks';
import { RECURRENCE_SPECS, RECURRENCE_TYPES } from '../recurrence/rules';
import { Rng } from '../random';
import { projectRoot } from '../stages/profiles';
import { evaluateNetworks, instancesOf } from '../stages/recurrence';

/** Options for {@link runBench}. */
export interface BenchOptions {
  batchSize?: number;
  /** Seconds spent timing each measurement (default 8). */
  seconds?: number;
  /** Python interpreter for the PyTorch and numpy peers (default /usr/bin/python3). */
  python?: string;
}

/** The benchmark's result (the last line of `repro bench --json`). */
export interface BenchResult {
  backend: string;
  fastKernels: string[];
  batchSize: number;
  threads: number;
  coreTrainImagesPerSec: number;
  coreInferImagesPerSec: number;
  torchVersion?: string;
  torchThreads?: number;
  torchTrainImagesPerSec?: number;
  torchInferImagesPerSec?: number;
  trainRatioVsTorch?: number;
  inferRatioVsTorch?: number;
  torchError?: string;
  /** Seconds for our `participationRatio` of a seeded Gaussian 2000 × 25088 float32 matrix (fastest of PR_REPEATS). */
  prSecondsPer2000x25088: number;
  numpyVersion?: string;
  numpyThreads?: number;
  /** Seconds for the same computation in numpy, float32 (fastest of PR_REPEATS). */
  numpyPrSecondsPer2000x25088?: number;
  /** prSecondsPer2000x25088 / numpyPrSecondsPer2000x25088 (lower is better; 1 = as fast as numpy). */
  prRatioVsNumpy?: number;
  numpyError?: string;
  /**
   * Image-steps per second of the recurrence evaluation: `evaluateNetworks` on
   * EVAL_BENCH_IMAGES clean test images with every network of a core (random
   * weights; the cost does not depend on them). An image-step is one image at
   * one time step of one network, step 0 included (computed once for all
   * networks, counted for each), FB-PC's 13 steps all counted.
   */
  evalImageStepsPerSec: number;
  /** Networks of a core (every type and instance). */
  evalNetworks: number;
  /** Image-steps per image: the sum of the networks' time steps. */
  evalImageStepsPerImage: number;
  /** evalImageStepsPerSec / coreInferImagesPerSec: an image-step's cost against a forward pass of the core (higher is cheaper). */
  evalRatioVsInference: number;
  /**
   * What bounds every stage: multiply-accumulates per second (1e9) of a
   * float32 1024³ matMul, the best case of this backend's matrix products.
   */
  gemmGmacPerSec: number;
  /** The project's hot convolutions, each against that ceiling. */
  kernels: KernelSpeed[];
  /** PyTorch's 1024³ float32 matMul on the same number of threads. */
  torchGemmGmacPerSec?: number;
  /** gemmGmacPerSec / torchGemmGmacPerSec: how far this backend's vector width and instruction set leave it behind. */
  gemmRatioVsTorch?: number;
}

/** One hot convolution of the networks, timed on a batch of KERNEL_BATCH. */
export interface KernelSpeed {
  name: string;
  /** Necessary multiply-accumulates per image (a transposed convolution's: only the taps that land). */
  macsPerImage: number;
  gmacPerSec: number;
  /** gmacPerSec / gemmGmacPerSec. */
  fractionOfGemm: number;
}

/** The participation-ratio benchmark's activity matrix: images × layer-1 units (28 · 28 · 32). */
const PR_SHAPE = { samples: 2000, units: 25088 };
/** Timed runs of each participation ratio; the fastest counts. */
const PR_REPEATS = 2;
/** Images per batch of the kernel benchmark (the evaluation's batch). */
const KERNEL_BATCH = 200;
/** Side of the square matMul that measures the backend's ceiling. */
const GEMM_SIZE = 1024;

/** Test images of the evaluation benchmark (one evaluation job's condition has the profile's `evalImages`: quick 300). */
const EVAL_BENCH_IMAGES = 64;

function timed(fn: () => void, seconds: number): number {
  for (let i = 0; i < 3; i++) fn();
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    fn();
    n++;
  }
  return n / ((performance.now() - start) / 1000);
}

/** Measures our throughput and, when PyTorch is importable, the peer's. */
export async function runBench(options: BenchOptions = {}): Promise<BenchResult> {
  const { batchSize = 64, seconds = 8, python = '/usr/bin/python3' } = options;
  const info = await initBackend();
  const init = initCoreWeights(0);
  const vars = mapCoreWeights((k) => tf.variable(init[k])) as Record<CoreParamName, tf.Variable>;
  const velocity = mapCoreWeights((k) => tf.zerosLike(init[k]));
  tf.dispose(Object.values(init));
  const x = tf.randomUniform([batchSize, 28, 28, 1]) as tf.Tensor4D;
  const y = tf.tensor1d(Array.from({ length: batchSize }, (_, i) => i % 10), 'int32');
  const step = makeSgdStep(vars, velocity, { learningRate: 0.05, momentum: 0.9 });
  const train = batchSize * timed(() => step(x, y), seconds);
  const infer = batchSize * timed(() => tf.tidy(() => coreLogits(vars, x).dataSync()), seconds);
  tf.dispose([x, y, ...CORE_PARAM_NAMES.map((k) => vars[k]), ...Object.values(velocity)]);
  const evaluation = timeEvaluation(seconds);
  const gemm = timeGemm(seconds);
  const result: BenchResult = {
    backend: info.choice,
    fastKernels: info.fastKernels,
    batchSize,
    threads: 1,
    coreTrainImagesPerSec: round(train),
    coreInferImagesPerSec: round(infer),
    prSecondsPer2000x25088: round(timeParticipationRatio(), 2),
    evalImageStepsPerSec: round(evaluation.imageStepsPerSec),
    evalNetworks: evaluation.networks,
    evalImageStepsPerImage: evaluation.imageStepsPerImage,
    evalRatioVsInference: round(evaluation.imageStepsPerSec / infer, 3),
    gemmGmacPerSec: round(gemm),
    kernels: timeKernels(seconds, gemm),
  };
  const script = path.join(projectRoot(), 'src', 'bench', 'torch_core.py');
  const run = spawnSync(python, [script, String(batchSize), String(result.threads), String(seconds)], { encoding: 'utf8' });
  if (run.status === 0) {
    const peer = JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as Partial<BenchResult>;
    Object.assign(result, peer);
    if (result.torchTrainImagesPerSec && result.torchInferImagesPerSec) {
      result.torchTrainImagesPerSec = round(result.torchTrainImagesPerSec);
      result.torchInferImagesPerSec = round(result.torchInferImagesPerSec);
      result.trainRatioVsTorch = round(train / result.torchTrainImagesPerSec, 3);
      result.inferRatioVsTorch = round(infer / result.torchInferImagesPerSec, 3);
    }
    if (result.torchGemmGmacPerSec) {
      result.gemmRatioVsTorch = round(gemm / result.torchGemmGmacPerSec, 3);
      result.torchGemmGmacPerSec = round(result.torchGemmGmacPerSec);
    }
  } else {
    result.torchError = (run.stderr || run.error?.message || `exit ${run.status}`).trim().split('\n').pop();
  }
  const numpyScript = path.join(projectRoot(), 'src', 'bench', 'numpy_pr.py');
  const threads = String(result.threads);
  const numpy = spawnSync(python, [numpyScript, String(PR_SHAPE.samples), String(PR_SHAPE.units), String(PR_REPEATS)], {
    encoding: 'utf8', env: { ...process.env, OPENBLAS_NUM_THREADS: threads, OMP_NUM_THREADS: threads, MKL_NUM_THREADS: threads },
  });
  if (numpy.status === 0) {
    const peer = JSON.parse(numpy.stdout.trim().split('\n').pop() ?? '{}') as Partial<BenchResult>;
    Object.assign(result, peer);
    if (result.numpyPrSecondsPer2000x25088) {
      result.prRatioVsNumpy = round(result.prSecondsPer2000x25088 / result.numpyPrSecondsPer2000x25088, 2);
      result.numpyPrSecondsPer2000x25088 = round(result.numpyPrSecondsPer2000x25088, 2);
    }
  } else {
    result.numpyError = (numpy.stderr || numpy.error?.message || `exit ${numpy.status}`).trim().split('\n').pop();
  }
  return result;
}

/**
 * Throughput of the recurrence evaluation: every network of a core (random
 * recurrent weights drawn as the trained types' initialisation, s.d. .02;
 * random controls from their trained type's) on the clean condition of
 * EVAL_BENCH_IMAGES MNIST test images, repeated for at least `seconds` after
 * a warm-up on a few images. The noisy conditions add the degradation of the
 * images, made once per level for all networks.
 */
function timeEvaluation(seconds: number): { imageStepsPerSec: number; networks: number; imageStepsPerImage: number } {
  const core = initCoreWeights(1);
  const nets = instancesOf(RECURRENCE_TYPES).map(({ type, instance }, k) => {
    const spec = RECURRENCE_SPECS[type];
    const init = spec.controlOf ? RECURRENCE_SPECS[spec.controlOf].init : spec.init;
    const weights = init ? init(100 + k, 0.02) : {};
    return { net: makeNetwork(type, core, weights), ids: { core: 0, network: type, instance } };
  });
  // The clean condition reads no calibrated level.
  const none = (type: NoiseType): TypeCalibration => ({ type, levels: [], points: [] });
  const calibration: Calibration = { coreHash: 'bench', seed: 0, images: 0, targets: [], types: { pixel: none('pixel'), blur: none('blur'), contrast: none('contrast'), occlusion: none('occlusion') } };
  const mnist = loadMnist();
  evaluateNetworks(nets, sliceSet(mnist.test, 0, 8), calibration, mnist.trainMean, 'clean');
  const test = sliceSet(mnist.test, 0, EVAL_BENCH_IMAGES);
  const imageStepsPerImage = nets.reduce((s, { net }) => s + net.timeSteps, 0);
  let runs = 0;
  const start = performance.now();
  do {
    evaluateNetworks(nets, test, calibration, mnist.trainMean, 'clean');
    runs++;
  } while (performance.now() - start < seconds * 1000);
  const elapsed = (performance.now() - start) / 1000;
  nets.forEach(({ net }) => disposeNetwork(net));
  tf.dispose(Object.values(core));
  return { imageStepsPerSec: (runs * EVAL_BENCH_IMAGES * imageStepsPerImage) / elapsed, networks: nets.length, imageStepsPerImage };
}

/** Runs `op`, reads its result back (the backend has finished) and frees it. */
function completed(op: () => tf.Tensor): () => void {
  return () => {
    const y = op();
    y.dataSync();
    y.dispose();
  };
}

/** 1e9 multiply-accumulates per second of a GEMM_SIZE³ float32 matMul. */
function timeGemm(seconds: number): number {
  const a = tf.randomUniform([GEMM_SIZE, GEMM_SIZE], -1, 1, 'float32', 1);
  const b = tf.randomUniform([GEMM_SIZE, GEMM_SIZE], -1, 1, 'float32', 2);
  const perSec = timed(completed(() => tf.matMul(a, b)), seconds);
  tf.dispose([a, b]);
  return (perSec * GEMM_SIZE ** 3) / 1e9;
}

/**
 * The convolutions that dominate the stages, on KERNEL_BATCH random inputs:
 * layer 2 of the core (every network, every step), the lateral 7x7 of LR-TT,
 * LR-R and LR-GRCL at 28x28, the feedback transposed convolution (FB-TT,
 * FB-R, FB-PC's decoder) and FB-PC's error gradient (stride 2).
 */
function timeKernels(seconds: number, gemm: number): KernelSpeed[] {
  const b = KERNEL_BATCH;
  const r1 = tf.randomUniform([b, 28, 28, 32], 0, 1, 'float32', 3) as tf.Tensor4D;
  const pooled = tf.randomUniform([b, 14, 14, 32], 0, 1, 'float32', 4) as tf.Tensor4D;
  const r2 = tf.randomUniform([b, 14, 14, 64], 0, 1, 'float32', 5) as tf.Tensor4D;
  const w2 = tf.randomNormal([5, 5, 32, 64], 0, 0.05, 'float32', 6) as tf.Tensor4D;
  const lateral = tf.randomNormal([7, 7, 32, 32], 0, 0.05, 'float32', 7) as tf.Tensor4D;
  const cases: { name: string; macsPerImage: number; op: () => tf.Tensor }[] = [
    { name: 'layer 2: 5x5 conv 32→64 at 14x14', macsPerImage: 14 * 14 * 64 * 25 * 32, op: () => tf.conv2d(pooled, w2, 1, 'same') },
    { name: 'lateral: 7x7 conv 32→32 at 28x28', macsPerImage: 28 * 28 * 32 * 49 * 32, op: () => tf.conv2d(r1, lateral, 1, 'same') },
    { name: 'feedback: 5x5 transposed conv 64→32, stride 2, to 28x28', macsPerImage: (28 * 28 * 32 * 25 * 64) / 4, op: () => tf.conv2dTranspose(r2, w2, [b, 28, 28, 32], 2, 'same') },
    { name: 'FB-PC error gradient: 5x5 conv 32→64, stride 2', macsPerImage: 14 * 14 * 64 * 25 * 32, op: () => tf.conv2d(r1, w2, 2, 'same') },
  ];
  const out = cases.map(({ name, macsPerImage, op }) => {
    const gmacPerSec = (timed(completed(op), seconds / cases.length) * b * macsPerImage) / 1e9;
    return { name, macsPerImage, gmacPerSec: round(gmacPerSec), fractionOfGemm: round(gmacPerSec / gemm, 2) };
  });
  tf.dispose([r1, pooled, r2, w2, lateral]);
  return out;
}

/** Fastest of PR_REPEATS runs of our participation ratio on a seeded Gaussian PR_SHAPE float32 matrix. */
function timeParticipationRatio(): number {
  const { samples, units } = PR_SHAPE;
  const rng = new Rng(0);
  const x = new Float32Array(samples * units);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  participationRatio(x.subarray(0, 64 * units), { samples: 64, units });
  let best = Infinity;
  for (let i = 0; i < PR_REPEATS; i++) {
    const start = performance.now();
    participationRatio(x, PR_SHAPE);
    best = Math.min(best, (performance.now() - start) / 1000);
  }
  return best;
}

function round(v: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
