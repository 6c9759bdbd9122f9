/**
 * A 2-D discrete Fourier transform of one square image, separable (rows, then
 * columns) with precomputed twiddles: O(N³), about 44 000 complex products for
 * a 28x28 image. The tfjs wasm backend has no FFT kernel, and the images here
 * are plain arrays anyway.
 */

/** A complex `[size, size]` array, row-major, in two parts. */
export interface Complex2d {
  re: Float64Array;
  im: Float64Array;
}

const twiddleCache = new Map<number, { cos: Float64Array; sin: Float64Array }>();

function twiddles(size: number): { cos: Float64Array; sin: Float64Array } {
  let t = twiddleCache.get(size);
  if (!t) {
    t = { cos: new Float64Array(size), sin: new Float64Array(size) };
    for (let k = 0; k < size; k++) {
      t.cos[k] = Math.cos((2 * Math.PI * k) / size);
      t.sin[k] = Math.sin((2 * Math.PI * k) / size);
    }
    twiddleCache.set(size, t);
  }
  return t;
}

/** The 1-D transform of every row or every column of `src`, into a new array. */
function transformLines(src: Complex2d, size: number, alongRows: boolean, sign: number): Complex2d {
  const { cos, sin } = twiddles(size);
  const out: Complex2d = { re: new Float64Array(size * size), im: new Float64Array(size * size) };
  const step = alongRows ? 1 : size;
  for (let line = 0; line < size; line++) {
    const base = alongRows ? line * size : line;
    for (let k = 0; k < size; k++) {
      let re = 0;
      let im = 0;
      for (let n = 0; n < size; n++) {
        const w = (k * n) % size;
        const xr = src.re[base + n * step];
        const xi = src.im[base + n * step];
        // x · e^{sign·2πi·kn/N}
        re += xr * cos[w] - sign * xi * sin[w];
        im += xi * cos[w] + sign * xr * sin[w];
      }
      out.re[base + k * step] = re;
      out.im[base + k * step] = im;
    }
  }
  return out;
}

/**
 * `X[k, l] = Σ x[m, n] e^{−2πi(km + ln)/N}` of `x` `[size, size]` (forward), or
 * the inverse `x[m, n] = (1/N²) Σ X[k, l] e^{+2πi(km + ln)/N}`, as numpy's `fft2`/`ifft2`.
 */
export function dft2d(x: Complex2d, size: number, inverse = false): Complex2d {
  if (x.re.length !== size * size || x.im.length !== size * size) {
    throw new Error(`dft2d: expected ${size}x${size} = ${size * size} values, got ${x.re.length} real and ${x.im.length} imaginary`);
  }
  const sign = inverse ? 1 : -1;
  const out = transformLines(transformLines(x, size, true, sign), size, false, sign);
  if (inverse) {
    const scale = 1 / (size * size);
    for (let i = 0; i < out.re.length; i++) {
      out.re[i] *= scale;
      out.im[i] *= scale;
    }
  }
  return out;
}

/** The transform of a real image `[size, size]`. */
export function dft2dReal(x: ArrayLike<number>, size: number): Complex2d {
  return dft2d({ re: Float64Array.from(x), im: new Float64Array(x.length) }, size);
}
