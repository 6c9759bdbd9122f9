/**
 * Fast kernels for the wasm backend.
 *
 * The stock tfjs 4.22 wasm backend has no `Conv2DBackpropFilter`, a
 * `Conv2DBackpropInput` about 9x slower than a forward `conv2d`, transposed
 * `BatchMatMul`s 10-30x slower than plain ones, and a slow `MaxPoolGrad`.
 * Training spends most of its time there. Each gradient is rewritten here as
 * forward XNNPACK convolutions / matmuls plus cheap layout loops on the heap:
 *
 * - input gradient: `conv2d(dy, flip(W) with in/out swapped)`; with a stride,
 *   one convolution per output phase with only the taps that land on it, so
 *   no product is spent on the zeros a dilated dy would hold;
 * - filter gradient: `conv2d` with the batch as the channel axis
 *   (x as `[cIn, h, w, batch]`, dy as `[h', w', batch, cOut]`, dilation = stride);
 * - `matMul` with `transposeA/B`: an explicit transpose, then a plain matMul;
 * - `MaxPoolGrad`: a direct scatter of dy to the first maximum of each window
 *   (the same tie rule as the cpu backend);
 * - `Identity` shares memory instead of copying it.
 *
 * Every kernel is tested against the cpu backend in `test/wasmKernels.test.ts`.
 */
import * as tf from '@tensorflow/tfjs';
import { backend_util, KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

const BACKEND = 'wasm';

type Kernel = (inputs: Record<string, TensorInfo>, backend: BackendWasm, attrs: NamedAttrMap) => TensorInfo;

/** Runs a kernel of the (stock or replaced) wasm registry. */
function callKernel(name: string, inputs: Record<string, TensorInfo>, backend: BackendWasm, attrs: NamedAttrMap = {}): TensorInfo {
  const k = tf.getKernel(name, BACKEND);
  if (!k) throw new Error(`wasm kernel ${name} is not registered`);
  return k.kernelFunc({ inputs, backend, attrs }) as TensorInfo;
}

function dispose(backend: BackendWasm, ...infos: TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

function heap(backend: BackendWasm, info: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(info) as Float32Array;
}

function transpose(backend: BackendWasm, x: TensorInfo, perm: number[]): TensorInfo {
  return callKernel('Transpose', { x }, backend, { perm });
}

function requireChannelsLast(kernel: string, dataFormat: unknown): void {
  if (dataFormat !== undefined && dataFormat !== 'NHWC') {
    throw new Error(`${kernel} (wasm fast kernel): dataFormat ${String(dataFormat)} is not supported, expected NHWC`);
  }
}

/** Filter `[kh, kw, cIn, cOut]` → `[kh, kw, cOut, cIn]`, flipped in both spatial axes. */
function flipSwapFilter(backend: BackendWasm, filter: TensorInfo): TensorInfo {
  const [kh, kw, cIn, cOut] = filter.shape as [number, number, number, number];
  const out = backend.makeOutput([kh, kw, cOut, cIn], 'float32');
  const src = heap(backend, filter);
  const dst = heap(backend, out);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const srcBase = ((kh - 1 - i) * kw + (kw - 1 - j)) * cIn * cOut;
      const dstBase = (i * kw + j) * cOut * cIn;
      for (let c = 0; c < cIn; c++) {
        for (let o = 0; o < cOut; o++) dst[dstBase + o * cIn + c] = src[srcBase + c * cOut + o];
      }
    }
  }
  return out;
}

/** `[b, h, w, c]` → `[b, (h-1)s+1, (w-1)s+1, c]` with zeros between the rows and columns. */
function dilate(backend: BackendWasm, x: TensorInfo, sh: number, sw: number): TensorInfo {
  const [b, h, w, c] = x.shape as [number, number, number, number];
  const hd = (h - 1) * sh + 1;
  const wd = (w - 1) * sw + 1;
  const out = backend.makeOutput([b, hd, wd, c], 'float32');
  const src = heap(backend, x);
  const dst = heap(backend, out);
  dst.fill(0);
  for (let n = 0; n < b; n++) {
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) {
        const s = ((n * h + i) * w + j) * c;
        const d = ((n * hd + i * sh) * wd + j * sw) * c;
        dst.set(src.subarray(s, s + c), d);
      }
    }
  }
  return out;
}

/**
 * One phase `p` of one stride-`s` axis of a strided input gradient: output
 * rows `s·i + p` (i < `rows`) read dy rows `i + d` with filter tap
 * `k = p + padBefore − s·d`, for consecutive offsets `d`.
 */
interface Phase {
  /** Output rows of this phase: ⌈(size − p) / stride⌉. */
  rows: number;
  /** Filter index of each tap, in increasing offset order (empty when no tap lands on the phase: its rows are zero). */
  taps: number[];
  /** Padding of dy before and after for this phase's convolution. */
  pad: [number, number];
}

/** The phases of one axis, or null when one needs dy cropped (a positive first offset or a negative end padding). */
function axisPhases(stride: number, size: number, filterSize: number, padBefore: number, dySize: number): Phase[] | null {
  const phases: Phase[] = [];
  for (let p = 0; p < stride; p++) {
    const rows = Math.ceil((size - p) / stride);
    const offsets: number[] = [];
    for (let k = filterSize - 1; k >= 0; k--) {
      if ((p + padBefore - k) % stride === 0) offsets.push((p + padBefore - k) / stride);
    }
    if (offsets.length === 0 || rows === 0) {
      phases.push({ rows, taps: [], pad: [0, 0] });
      continue;
    }
    const first = offsets[0]!;
    const after = rows + offsets.at(-1)! - dySize;
    if (first > 0 || after < 0) return null;
    phases.push({ rows, taps: offsets.map((d) => p + padBefore - stride * d), pad: [-first, after] });
  }
  return phases;
}

/** Filter `[kh, kw, cIn, cOut]` → the kernel `[py taps, px taps, cOut, cIn]` of one phase's convolution over dy. */
function phaseFilter(backend: BackendWasm, filter: TensorInfo, py: Phase, px: Phase): TensorInfo {
  const [, kw, cIn, cOut] = filter.shape as [number, number, number, number];
  const out = backend.makeOutput([py.taps.length, px.taps.length, cOut, cIn], 'float32');
  const src = heap(backend, filter);
  const dst = heap(backend, out);
  py.taps.forEach((i, a) => {
    px.taps.forEach((j, b) => {
      for (let o = 0; o < cOut; o++) {
        const d = ((a * px.taps.length + b) * cOut + o) * cIn;
        for (let c = 0; c < cIn; c++) dst[d + c] = src[((i * kw + j) * cIn + c) * cOut + o]!;
      }
    });
  });
  return out;
}

/**
 * Strided input gradient (the transposed convolution of FB-TT, FB-R and the
 * FB-PC decoder) as one stride-1 XNNPACK convolution over dy per output
 * phase (py, px), each with only the filter taps that land on that phase,
 * interleaved into `dx[s·i + py, s·j + px, :]`. A dilated dy would multiply
 * by zeros in all but 1/(sh·sw) of the taps; the phases do only the nonzero
 * products (for 5x5, stride 2: taps 3x3, 3x2, 2x3 and 2x2, 25 in all, where
 * one convolution over a combined 3x3 kernel would do 36, 1.44x the products).
 * Each output adds the same products in the same order as that combined
 * kernel did, less its zero terms: on the feedback's shapes the results are
 * bit-identical to it, 1.4x faster. Returns null when the padding needs dy
 * cropped (then the dilated path runs).
 */
function stridedInputGradient(backend: BackendWasm, dy: TensorInfo, filter: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo | null {
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, inHeight, inWidth, inChannels: cIn, batchSize } = info;
  const rowsPhases = axisPhases(sh, inHeight, kh, info.padInfo.top, dy.shape[1]!);
  const colsPhases = axisPhases(sw, inWidth, kw, info.padInfo.left, dy.shape[2]!);
  if (!rowsPhases || !colsPhases) return null;
  const out = backend.makeOutput([batchSize, inHeight, inWidth, cIn], 'float32');
  // A phase without taps keeps its zeros.
  if ([...rowsPhases, ...colsPhases].some((p) => p.taps.length === 0)) heap(backend, out).fill(0);
  rowsPhases.forEach((py, pyIndex) => {
    colsPhases.forEach((px, pxIndex) => {
      if (py.taps.length === 0 || px.taps.length === 0) return;
      const kernel = phaseFilter(backend, filter, py, px);
      const phase = callKernel('Conv2D', { x: dy, filter: kernel }, backend, {
        strides: [1, 1], pad: [[0, 0], py.pad, px.pad, [0, 0]], dataFormat: 'NHWC', dilations: [1, 1],
      }); // [b, py.rows, px.rows, cIn]
      const src = heap(backend, phase);
      const dst = heap(backend, out);
      for (let n = 0; n < batchSize; n++) {
        for (let i = 0; i < py.rows; i++) {
          const s = ((n * py.rows + i) * px.rows) * cIn;
          const d = ((n * inHeight + i * sh + pyIndex) * inWidth + pxIndex) * cIn;
          for (let j = 0; j < px.rows; j++) dst.set(src.subarray(s + j * cIn, s + (j + 1) * cIn), d + j * sw * cIn);
        }
      }
      dispose(backend, kernel, phase);
    });
  });
  return out;
}

const conv2DBackpropInput: Kernel = (inputs, backend, attrs) => {
  const dy = inputs.dy as TensorInfo;
  const filter = inputs.filter as TensorInfo;
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as tf.Conv2DBackpropInputAttrs;
  requireChannelsLast('Conv2DBackpropInput', dataFormat);
  const info = backend_util.computeConv2DInfo(
    inputShape as [number, number, number, number], filter.shape as [number, number, number, number],
    strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, inHeight, inWidth } = info;
  if (sh > 1 || sw > 1) {
    const dx = stridedInputGradient(backend, dy, filter, info);
    if (dx) return dx;
  }
  const dyd = sh === 1 && sw === 1 ? dy : dilate(backend, dy, sh, sw);
  const top = kh - 1 - info.padInfo.top;
  const left = kw - 1 - info.padInfo.left;
  const bottom = inHeight + info.padInfo.top - dyd.shape[1]!;
  const right = inWidth + info.padInfo.left - dyd.shape[2]!;
  if (top < 0 || left < 0 || bottom < 0 || right < 0) {
    throw new Error(`Conv2DBackpropInput (wasm fast kernel): padding ${JSON.stringify(info.padInfo)} with filter ${kh}x${kw} is not supported`);
  }
  const flipped = flipSwapFilter(backend, filter);
  const dx = callKernel('Conv2D', { x: dyd, filter: flipped }, backend, {
    strides: [1, 1], pad: [[0, 0], [top, bottom], [left, right], [0, 0]], dataFormat: 'NHWC', dilations: [1, 1],
  });
  dispose(backend, flipped);
  if (dyd !== dy) dispose(backend, dyd);
  return dx;
};

const conv2DBackpropFilter: Kernel = (inputs, backend, attrs) => {
  const x = inputs.x as TensorInfo;
  const dy = inputs.dy as TensorInfo;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  requireChannelsLast('Conv2DBackpropFilter', dataFormat);
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filterShape as [number, number, number, number],
    strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, inHeight, inWidth, outHeight, outWidth } = info;
  // Output rows of the batch-as-channels conv: inHeight + top + bottom - sh*(outHeight-1) must equal kh.
  const bottom = kh + sh * (outHeight - 1) - inHeight - info.padInfo.top;
  const right = kw + sw * (outWidth - 1) - inWidth - info.padInfo.left;
  if (bottom < 0 || right < 0) {
    throw new Error(`Conv2DBackpropFilter (wasm fast kernel): padding ${JSON.stringify(info.padInfo)} with stride ${sh}x${sw} is not supported`);
  }
  const xT = transpose(backend, x, [3, 1, 2, 0]); // [cIn, h, w, b]
  const dyT = transpose(backend, dy, [1, 2, 0, 3]); // [h', w', b, cOut]
  const dwT = callKernel('Conv2D', { x: xT, filter: dyT }, backend, {
    strides: [1, 1], pad: [[0, 0], [info.padInfo.top, bottom], [info.padInfo.left, right], [0, 0]],
    dataFormat: 'NHWC', dilations: [sh, sw],
  }); // [cIn, kh, kw, cOut]
  const dw = transpose(backend, dwT, [1, 2, 0, 3]);
  dispose(backend, xT, dyT, dwT);
  return dw;
};

/** Relative cost of XNNPACK packing one element of the right operand, in units of one transposed element. */
const PACK_COST = 3;

/** `[..., m, n]` → `[..., n, m]`. */
function swapLastTwo(backend: BackendWasm, t: TensorInfo): TensorInfo {
  const r = t.shape.length;
  const perm = [...Array(r).keys()];
  [perm[r - 2], perm[r - 1]] = [r - 1, r - 2];
  return transpose(backend, t, perm);
}

/**
 * `matMul(a, b, transposeA, transposeB)` through the stock kernel's fast
 * untransposed path. XNNPACK packs the right operand on every call with new
 * weights, so for rank-2 products the kernel also considers computing
 * `out = (Bᵀ·Aᵀ)ᵀ`, packing the left operand instead, and picks the cheaper
 * plan by the number of elements transposed and packed.
 */
function batchMatMulFast(stock: KernelFunc): Kernel {
  return (inputs, backend, attrs) => {
    const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
    const a = inputs.a as TensorInfo;
    const b = inputs.b as TensorInfo;
    const size = (t: TensorInfo) => t.shape.reduce((x, y) => x * y, 1);
    const plain = (left: TensorInfo, right: TensorInfo) =>
      stock({ inputs: { a: left, b: right }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } }) as TensorInfo;
    const rows = transposeA ? a.shape[a.shape.length - 1]! : a.shape[a.shape.length - 2]!;
    const cols = transposeB ? b.shape[b.shape.length - 2]! : b.shape[b.shape.length - 1]!;
    const direct = (transposeA ? size(a) : 0) + (transposeB ? size(b) : 0) + PACK_COST * size(b);
    const flipped = (transposeB ? 0 : size(b)) + (transposeA ? 0 : size(a)) + PACK_COST * size(a) + rows * cols;
    const rank2 = a.shape.length === 2 && b.shape.length === 2;
    if (!transposeA && !transposeB && (!rank2 || direct <= flipped)) return plain(a, b);
    const temps: TensorInfo[] = [];
    const keep = (t: TensorInfo) => { temps.push(t); return t; };
    let out: TensorInfo;
    if (rank2 && flipped < direct) {
      const left = transposeB ? b : keep(swapLastTwo(backend, b));
      const right = transposeA ? a : keep(swapLastTwo(backend, a));
      const outT = keep(plain(left, right));
      out = swapLastTwo(backend, outT);
    } else {
      out = plain(transposeA ? keep(swapLastTwo(backend, a)) : a, transposeB ? keep(swapLastTwo(backend, b)) : b);
    }
    dispose(backend, ...temps);
    return out;
  };
}

/**
 * MaxPoolGrad of the project's 2x2, stride-2 pools over even-sized maps: the
 * windows tile the input, so every input element is written exactly once
 * (dy at the window's first maximum, 0 elsewhere) with no fill and no search loop.
 * `rows` = batch · output rows.
 */
function maxPoolGrad2x2(xs: Float32Array, dys: Float32Array, dx: Float32Array, rows: number, outWidth: number, c: number): void {
  const rowStride = 2 * outWidth * c; // one input row
  for (let r = 0; r < rows; r++) {
    for (let q = 0; q < outWidth; q++) {
      const a0 = (2 * r * 2 * outWidth + 2 * q) * c;
      const b0 = a0 + c;
      const c0 = a0 + rowStride;
      const d0 = c0 + c;
      const y0 = (r * outWidth + q) * c;
      for (let k = 0; k < c; k++) {
        const va = xs[a0 + k]!;
        const vb = xs[b0 + k]!;
        const vc = xs[c0 + k]!;
        const vd = xs[d0 + k]!;
        // First maximum in row-major window order, as the cpu backend.
        let m = va;
        let at = 0;
        if (vb > m) { m = vb; at = 1; }
        if (vc > m) { m = vc; at = 2; }
        if (vd > m) at = 3;
        const g = dys[y0 + k]!;
        dx[a0 + k] = at === 0 ? g : 0;
        dx[b0 + k] = at === 1 ? g : 0;
        dx[c0 + k] = at === 2 ? g : 0;
        dx[d0 + k] = at === 3 ? g : 0;
      }
    }
  }
}

const maxPoolGrad: Kernel = (inputs, backend, attrs) => {
  const dy = inputs.dy as TensorInfo;
  const x = inputs.input as TensorInfo;
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as tf.MaxPoolGradAttrs;
  const info = backend_util.computePool2DInfo(
    x.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
  const { batchSize, inHeight, inWidth, inChannels: c, outHeight, outWidth, filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const out = backend.makeOutput(x.shape, 'float32');
  const xs = heap(backend, x);
  const dys = heap(backend, dy);
  const dx = heap(backend, out);
  const tiled = filterHeight === 2 && filterWidth === 2 && strideHeight === 2 && strideWidth === 2 &&
    info.padInfo.top === 0 && info.padInfo.left === 0 && inHeight === 2 * outHeight && inWidth === 2 * outWidth;
  if (tiled) {
    maxPoolGrad2x2(xs, dys, dx, batchSize * outHeight, outWidth, c);
    return out;
  }
  dx.fill(0);
  // Channels innermost: contiguous reads, one running maximum per channel.
  const best = new Float32Array(c);
  const at = new Int32Array(c);
  for (let b = 0; b < batchSize; b++) {
    for (let r = 0; r < outHeight; r++) {
      const r0 = r * strideHeight - info.padInfo.top;
      const rStart = Math.max(0, r0);
      const rEnd = Math.min(inHeight, r0 + filterHeight);
      for (let q = 0; q < outWidth; q++) {
        const q0 = q * strideWidth - info.padInfo.left;
        const qStart = Math.max(0, q0);
        const qEnd = Math.min(inWidth, q0 + filterWidth);
        best.fill(Number.NEGATIVE_INFINITY);
        at.fill(-1);
        for (let i = rStart; i < rEnd; i++) {
          for (let j = qStart; j < qEnd; j++) {
            const base = ((b * inHeight + i) * inWidth + j) * c;
            for (let d = 0; d < c; d++) {
              const v = xs[base + d]!;
              if (v > best[d]!) { best[d] = v; at[d] = base + d; }
            }
          }
        }
        const dyBase = ((b * outHeight + r) * outWidth + q) * c;
        for (let d = 0; d < c; d++) {
          const k = at[d]!;
          if (k >= 0) dx[k] = dx[k]! + dys[dyBase + d]!;
        }
      }
    }
  }
  return out;
};

/**
 * `Identity` (`tf.clone`, and every tensor the gradient tape saves for the
 * backward pass) shares the input's memory, as the cpu backend and the wasm
 * `Reshape` do: tensors are immutable, so the stock kernel's copy buys nothing.
 */
const identity: Kernel = (inputs, backend) => {
  const x = inputs.x as TensorInfo;
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};

function asKernelFunc(k: Kernel): KernelFunc {
  return ({ inputs, backend, attrs }) => k(inputs as Record<string, TensorInfo>, backend as BackendWasm, attrs ?? {});
}

function replace(name: string, make: (stock: KernelConfig | undefined) => Kernel): void {
  const stock = tf.getKernel(name, BACKEND);
  if (stock) tf.unregisterKernel(name, BACKEND);
  // Keep the stock setupFunc: the stock kernelFunc may still be called and needs its wasm bindings.
  const config: KernelConfig = { kernelName: name, backendName: BACKEND, kernelFunc: asKernelFunc(make(stock)) };
  if (stock?.setupFunc) config.setupFunc = stock.setupFunc;
  tf.registerKernel(config);
}

let registered: string[] | null = null;

/**
 * Registers the fast kernels on the wasm backend (idempotent). Must run after
 * `@tensorflow/tfjs-backend-wasm` is imported and before the backend is
 * initialised, so the stock setup functions still run. Returns the kernel names.
 */
export function registerFastWasmKernels(): string[] {
  if (registered) return registered;
  replace('Conv2DBackpropInput', () => conv2DBackpropInput);
  replace('Conv2DBackpropFilter', () => conv2DBackpropFilter);
  replace('BatchMatMul', (stock) => {
    if (!stock) throw new Error('wasm BatchMatMul is not registered: import @tensorflow/tfjs-backend-wasm first');
    return batchMatMulFast(stock.kernelFunc);
  });
  replace('MaxPoolGrad', () => maxPoolGrad);
  replace('Identity', () => identity);
  registered = ['Conv2DBackpropInput', 'Conv2DBackpropFilter', 'BatchMatMul', 'MaxPoolGrad', 'Identity'];
  return registered;
}
