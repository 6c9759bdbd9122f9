/**
 * The fast wasm kernels against the cpu backend, for the shapes this project
 * uses, and a full training step's gradients on both backends.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { coreLogits, crossEntropy, initCoreWeights, CORE_PARAM_NAMES } from '../src/model/core';
import { assertClose, onBackend } from './helpers';
import { Rng } from '../src/random';

before(async () => {
  await initBackend({ force: 'wasm', log: false });
});

function randomData(shape: number[], seed: number): { data: Float32Array; shape: number[] } {
  const rng = new Rng(seed);
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = rng.normal();
  return { data, shape };
}

const t4 = (d: { data: Float32Array; shape: number[] }) => tf.tensor4d(d.data, d.shape as [number, number, number, number]);

async function compare(name: string, fn: () => tf.Tensor, atol = 1e-3): Promise<void> {
  const want = await onBackend('cpu', fn);
  const got = await onBackend('wasm', fn);
  assertClose(got, want, atol, 1e-4, name);
}

// [batch, h, w, cIn], [kh, kw, cIn, cOut], stride, pad: the project's convolutions and their neighbours.
type Shape4 = [number, number, number, number];
const CONV_CASES: [Shape4, Shape4, number, 'same' | 'valid'][] = [
  [[1, 28, 28, 1], [5, 5, 1, 32], 1, 'same'], // layer 1, batch 1
  [[4, 28, 28, 1], [5, 5, 1, 32], 1, 'same'], // layer 1
  [[4, 14, 14, 32], [5, 5, 32, 64], 1, 'same'], // layer 2
  [[2, 28, 28, 32], [7, 7, 32, 32], 1, 'same'], // LR-TT lateral
  [[2, 28, 28, 32], [5, 5, 32, 64], 2, 'same'], // FB-TT: conv2dTranspose of this is the feedback
  [[2, 13, 13, 3], [3, 3, 3, 5], 2, 'valid'],
  [[2, 12, 12, 3], [5, 5, 3, 4], 1, 'valid'],
];

for (const [xShape, fShape, stride, pad] of CONV_CASES) {
  const label = `x[${xShape}] f[${fShape}] stride ${stride} ${pad}`;
  test(`Conv2DBackpropInput matches cpu: ${label}`, async () => {
    const f = randomData(fShape, 2);
    const outShape = tf.tidy(() => tf.conv2d(tf.zeros(xShape) as tf.Tensor4D, tf.zeros(fShape) as tf.Tensor4D, stride, pad).shape);
    const dy = randomData(outShape, 3);
    await compare(label, () => tf.conv2dTranspose(t4(dy), t4(f), xShape, stride, pad));
  });
  test(`Conv2DBackpropFilter matches cpu: ${label}`, async () => {
    const x = randomData(xShape, 4);
    const outShape = tf.tidy(() => tf.conv2d(tf.zeros(xShape) as tf.Tensor4D, tf.zeros(fShape) as tf.Tensor4D, stride, pad).shape);
    const dy = randomData(outShape, 5);
    await compare(label, () => {
      const dw = tf.grad((w: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(t4(x), w as tf.Tensor4D, stride, pad), t4(dy))));
      return dw(tf.zeros(fShape));
    }, 5e-3);
  });
}

// Strided input gradients beyond the project's: odd sizes, even kernels, stride 3, a phase with no taps.
const STRIDED_INPUT_CASES: [Shape4, Shape4, number, 'same' | 'valid'][] = [
  [[1, 27, 27, 3], [5, 5, 3, 4], 2, 'same'],
  [[2, 12, 12, 3], [4, 4, 3, 4], 2, 'same'],
  [[2, 14, 13, 3], [3, 3, 3, 2], 3, 'same'],
  [[2, 11, 11, 2], [2, 2, 2, 3], 3, 'valid'],
  [[1, 9, 10, 2], [3, 5, 2, 3], 2, 'valid'],
];

for (const [xShape, fShape, stride, pad] of STRIDED_INPUT_CASES) {
  const label = `x[${xShape}] f[${fShape}] stride ${stride} ${pad}`;
  test(`Conv2DBackpropInput matches cpu: ${label}`, async () => {
    const f = randomData(fShape, 12);
    const outShape = tf.tidy(() => tf.conv2d(tf.zeros(xShape) as tf.Tensor4D, tf.zeros(fShape) as tf.Tensor4D, stride, pad).shape);
    const dy = randomData(outShape, 13);
    await compare(label, () => tf.conv2dTranspose(t4(dy), t4(f), xShape, stride, pad));
  });
}

for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
  for (const [m, k, n] of [[16, 3136, 1024], [1, 7, 3], [5, 1024, 10]] as const) {
    test(`BatchMatMul matches cpu: [${m}x${k}]·[${k}x${n}] transposeA=${ta} transposeB=${tb}`, async () => {
      const a = randomData(ta ? [k, m] : [m, k], 6);
      const b = randomData(tb ? [n, k] : [k, n], 7);
      await compare('matMul', () => tf.matMul(tf.tensor(a.data, a.shape), tf.tensor(b.data, b.shape), ta, tb), 5e-3);
    });
  }
}

test('BatchMatMul matches cpu for a batch of matrices with transposes', async () => {
  const a = randomData([3, 6, 4], 8);
  const b = randomData([3, 5, 6], 9);
  await compare('batched matMul', () => tf.matMul(tf.tensor(a.data, a.shape), tf.tensor(b.data, b.shape), true, true));
});

for (const [xShape, size, stride, pad] of [
  [[4, 28, 28, 32], 2, 2, 'same'],
  [[1, 14, 14, 64], 2, 2, 'same'],
  [[2, 9, 9, 3], 3, 2, 'valid'],
  [[2, 7, 7, 2], 3, 1, 'same'],
] as [Shape4, number, number, 'same' | 'valid'][]) {
  test(`MaxPoolGrad matches cpu: x[${xShape}] ${size}x${size} stride ${stride} ${pad}`, async () => {
    // ReLU-like inputs: many exact ties at zero, which exercise the first-maximum rule.
    const x = randomData(xShape, 10);
    x.data.forEach((v, i) => (x.data[i] = Math.max(0, v)));
    const outShape = tf.tidy(() => tf.maxPool(tf.zeros(xShape) as tf.Tensor4D, size, stride, pad).shape);
    const dy = randomData(outShape, 11);
    await compare('maxPoolGrad', () => tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(v as tf.Tensor4D, size, stride, pad), t4(dy))))(t4(x)));
  });
}

test('a full training step of the core has the same gradients on wasm and cpu', async () => {
  const images = randomData([3, 28, 28, 1], 12);
  images.data.forEach((v, i) => (images.data[i] = Math.abs(v) / 3));
  const labels = [3, 1, 4];
  const gradsOn = async (backend: string) => {
    await tf.setBackend(backend);
    return tf.tidy(() => {
      const w = initCoreWeights(5, 0.05);
      const names = CORE_PARAM_NAMES;
      const f = tf.grads((...params: tf.Tensor[]) => {
        const ws = Object.fromEntries(names.map((k, i) => [k, params[i]!])) as Record<(typeof names)[number], tf.Tensor>;
        return crossEntropy(coreLogits(ws, t4(images)), tf.tensor1d(labels, 'int32'));
      });
      return f(names.map((k) => w[k])).map((g) => g.dataSync() as Float32Array);
    });
  };
  const cpu = await gradsOn('cpu');
  const wasm = await gradsOn('wasm');
  CORE_PARAM_NAMES.forEach((name, i) => {
    const scale = cpu[i]!.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    assertClose(wasm[i]!, cpu[i]!, 1e-3 * scale + 1e-7, 1e-3, `gradient of ${name}`);
  });
});

test('Identity shares memory safely: a clone outlives its source and keeps its values when a variable it came from is assigned', async () => {
  await tf.setBackend('wasm');
  const x = tf.tensor1d([1, 2, 3]);
  const copy = tf.clone(x);
  x.dispose();
  assert.deepEqual([...copy.dataSync()], [1, 2, 3]);
  const v = tf.variable(tf.tensor1d([4, 5]));
  const snapshot = tf.clone(v);
  v.assign(tf.tensor1d([6, 7]));
  assert.deepEqual([...snapshot.dataSync()], [4, 5]);
  assert.deepEqual([...v.dataSync()], [6, 7]);
  const before = tf.memory().numDataBuffers;
  const c = tf.clone(copy);
  assert.equal(tf.memory().numDataBuffers, before, 'a clone allocates no buffer');
  tf.dispose([copy, snapshot, v, c]);
});
