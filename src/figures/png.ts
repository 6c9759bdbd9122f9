/**
 * A minimal PNG encoder for small grayscale images (digits in figures), so a
 * figure embeds a few hundred bytes per image instead of one SVG rect per pixel.
 */
import * as zlib from 'node:zlib';

let crcTable: Uint32Array | null = null;

function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const b of bytes) crc = crcTable[(crc ^ b) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/**
 * Encodes `values` `[height, width]` in [0, 1] (clamped; 0 = black) as an
 * 8-bit grayscale PNG, each pixel repeated `scale` times in both directions
 * (nearest neighbour, so digits stay crisp when the viewer smooths).
 */
export function grayPng(values: ArrayLike<number>, width: number, height: number, scale = 1): Buffer {
  if (values.length !== width * height) throw new Error(`grayPng: ${values.length} values for ${width}x${height}`);
  const w = width * scale;
  const h = height * scale;
  const raw = Buffer.alloc((w + 1) * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = values[Math.floor(y / scale) * width + Math.floor(x / scale)]!;
      raw[y * (w + 1) + 1 + x] = Math.round(255 * Math.min(1, Math.max(0, v)));
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // grayscale
  const signature = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);
  return Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', new Uint8Array(0))]);
}

/** A `data:` URL of {@link grayPng}. */
export function grayPngDataUrl(values: ArrayLike<number>, width: number, height: number, scale = 1): string {
  return `data:image/png;base64,${grayPng(values, width, height, scale).toString('base64')}`;
}
