/**
 * One time step of each additive rule against its formula written out as
 * plain loops over the kernel (an implementation that shares nothing with
 * tfjs's convolutions), at sampled positions of a real image's activity.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { loadMnist, NUM_PIXELS } from '../src/data/mnist';
import { initCoreWeights, disposeWeights, layer1Drive, layer2FromR1 } from '../src/model/core';
import { disposeNetwork, makeNetwork, runDynamics, disposeTaps } from '../src/recurrence/networks';
import { RecurrenceType, surroundKernel } from '../src/recurrence/rules';
import { Rng } from '../src/random';

before(async () => {
  await initBackend({ force: 'wasm', log: false });
});

const mnist = loadMnist();

/** `[b, h, w, c]` row-major accessor. */
function at4(data: Float32Array | Int32Array | Uint8Array, shape: readonly number[]) {
  const [, h, w, c] = shape as [number, number, number, number];
  return (b: number, y: number, x: number, k: number) => (y < 0 || x < 0 || y >= h || x >= w ? 0 : data[((b * h + y) * w + x) * c + k]!);
}

interface Step1 {
  d1: (b: number, y: number, x: number, k: number) => number;
  r1: (b: number, y: number, x: number, k: number) => number;
  r2: (b: number, y: number, x: number, k: number) => number;
  next: (b: number, y: number, x: number, k: number) => number;
}

/** Runs one network for two images and returns accessors of d1, r1(0), r2(0) and r1(1); checks r2(1) = layer2(r1(1)). */
function stepOne(type: RecurrenceType, weights: Record<string, tf.Tensor>, settings = {}): Step1 {
  const core = initCoreWeights(11, 0.05);
  const x = tf.tensor4d(mnist.test.images.subarray(0, 2 * NUM_PIXELS), [2, 28, 28, 1]);
  const net = makeNetwork(type, core, weights, settings);
  const taps = runDynamics(net, x, { keep: (t) => t <= 1 });
  const d1 = layer1Drive(core, x);
  const r2Next = layer2FromR1(core, taps[1]!.r1);
  assert.deepEqual(taps[1]!.r2.dataSync(), r2Next.dataSync(), `${type}: r2(1) = layer2(r1(1))`);
  const out: Step1 = {
    d1: at4(d1.dataSync() as Float32Array, d1.shape),
    r1: at4(taps[0]!.r1.dataSync() as Float32Array, taps[0]!.r1.shape),
    r2: at4(taps[0]!.r2.dataSync() as Float32Array, taps[0]!.r2.shape),
    next: at4(taps[1]!.r1.dataSync() as Float32Array, taps[1]!.r1.shape),
  };
  disposeTaps(taps);
  tf.dispose([x, d1, r2Next]);
  disposeNetwork(net);
  disposeWeights(core);
  return out;
}

/** 60 sampled layer-1 positions (image, row, column, map), edges included. */
function positions(): [number, number, number, number][] {
  const rng = new Rng(5);
  const out: [number, number, number, number][] = [[0, 0, 0, 0], [1, 27, 27, 31], [0, 0, 27, 5], [1, 27, 0, 17]];
  while (out.length < 60) out.push([rng.int(2), rng.int(28), rng.int(28), rng.int(32)]);
  return out;
}

function checkStep(type: string, s: Step1, recurrent: (b: number, y: number, x: number, k: number) => number): void {
  let largest = 0;
  for (const [b, y, x, k] of positions()) {
    const input = recurrent(b, y, x, k);
    largest = Math.max(largest, Math.abs(input));
    const want = Math.max(0, s.d1(b, y, x, k) + input);
    const got = s.next(b, y, x, k);
    assert.ok(Math.abs(got - want) <= 1e-4 + 1e-4 * Math.abs(want), `${type} r1(1)[${b},${y},${x},${k}] = ${got}, formula ${want}`);
  }
  assert.ok(largest > 1e-3, `${type}: the recurrent input is not negligible at the sampled positions (largest ${largest})`);
}

test('FB-TT and FB-R step: r1 = ReLU(d1 + Σ F[ky,kx,k,c]·r2[i,j,c] over 2i + ky − 1 = y, 2j + kx − 1 = x)', () => {
  for (const type of ['FB-TT', 'FB-R'] as const) {
    const f = tf.randomNormal([5, 5, 32, 64], 0, 0.05, 'float32', 3);
    const F = at4(f.dataSync() as Float32Array, [5, 5, 32, 64]);
    const s = stepOne(type, { feedback: f });
    // A 5x5 stride-2 'same' transposed conv 14 → 28 is the adjoint of the stride-2 conv 28 → 14, whose padding before is 1.
    checkStep(type, s, (b, y, x, k) => {
      let sum = 0;
      for (let ky = 0; ky < 5; ky++) {
        for (let kx = 0; kx < 5; kx++) {
          const i = (y + 1 - ky) / 2;
          const j = (x + 1 - kx) / 2;
          if (!Number.isInteger(i) || !Number.isInteger(j) || i < 0 || j < 0 || i >= 14 || j >= 14) continue;
          for (let c = 0; c < 64; c++) sum += F(ky, kx, k, c) * s.r2(b, i, j, c);
        }
      }
      return sum;
    });
    f.dispose();
  }
});

test('LR-TT and LR-R step: r1 = ReLU(d1 + Σ L[dy,dx,c,k]·r1[y+dy−3, x+dx−3, c])', () => {
  for (const type of ['LR-TT', 'LR-R'] as const) {
    const l = tf.randomNormal([7, 7, 32, 32], 0, 0.05, 'float32', 4);
    const L = at4(l.dataSync() as Float32Array, [7, 7, 32, 32]);
    const s = stepOne(type, { lateral: l });
    checkStep(type, s, (b, y, x, k) => {
      let sum = 0;
      for (let dy = 0; dy < 7; dy++) for (let dx = 0; dx < 7; dx++) for (let c = 0; c < 32; c++) sum += L(dy, dx, c, k) * s.r1(b, y + dy - 3, x + dx - 3, c);
      return sum;
    });
    l.dispose();
  }
});

test('LR-SS step: r1 = ReLU(d1 + Σ DoG[dy,dx]·r1[y+dy−3, x+dx−3, k]), each map on its own', () => {
  const sigma = { sigmaExc: 1.2, sigmaInh: 1.68 };
  const kernel = surroundKernel(sigma.sigmaExc, sigma.sigmaInh);
  const K = at4(kernel.dataSync() as Float32Array, [7, 7, 32, 1]);
  // The kernel itself, from its definition: G(σe) − G(σi), normalised Gaussians, divided by the centre value.
  const g = (sd: number, d2: number) => Math.exp(-d2 / (2 * sd * sd)) / (2 * Math.PI * sd * sd);
  const centre = g(1.2, 0) - g(1.68, 0);
  for (let dy = 0; dy < 7; dy++) for (let dx = 0; dx < 7; dx++) {
    const d2 = (dy - 3) ** 2 + (dx - 3) ** 2;
    assert.ok(Math.abs(K(dy, dx, 7, 0) - (g(1.2, d2) - g(1.68, d2)) / centre) < 1e-6);
  }
  const s = stepOne('LR-SS', {}, { surround: sigma });
  checkStep('LR-SS', s, (b, y, x, k) => {
    let sum = 0;
    for (let dy = 0; dy < 7; dy++) for (let dx = 0; dx < 7; dx++) sum += K(dy, dx, k, 0) * s.r1(b, y + dy - 3, x + dx - 3, k);
    return sum;
  });
  kernel.dispose();
});

test('a rule refuses weights of the wrong shape, naming the type and the weight', () => {
  const core = initCoreWeights(1, 0.05);
  const bad = tf.zeros([5, 5, 64, 32]);
  assert.throws(() => makeNetwork('FB-TT', core, { feedback: bad }), /FB-TT: weight 'feedback' must have shape \[5, 5, 32, 64\], got \[5, 5, 64, 32\]/);
  assert.throws(() => makeNetwork('LR-TT', core, {}), /LR-TT: missing weight 'lateral'/);
  bad.dispose();
  disposeWeights(core);
});
