/**
 * Raw LZ4 block decoder (https://github.com/lz4/lz4/blob/dev/doc/lz4_Block_format.md): sequences of
 * token (literal length << 4 | match length − 4), literals, little-endian 16-bit offset, extra length bytes of 255.
 * Written here because the npm packages either need native binaries or expose only the LZ4 *frame* format, which is
 * not what lz4-java's LZ4BlockOutputStream writes. Throws on any out-of-bounds reference.
 */
export function decodeLz4Block(src: Uint8Array, dst: Uint8Array): number {
  const srcEnd = src.length;
  const dstEnd = dst.length;
  let s = 0;
  let d = 0;
  while (s < srcEnd) {
    const token = src[s++] as number;
    let literals = token >>> 4;
    if (literals === 15) {
      let extra: number;
      do {
        if (s >= srcEnd) throw new Error("literal length runs past the block");
        extra = src[s++] as number;
        literals += extra;
      } while (extra === 255);
    }
    if (s + literals > srcEnd || d + literals > dstEnd) throw new Error("literals run past the block");
    if (literals > 0) {
      dst.set(src.subarray(s, s + literals), d);
      s += literals;
      d += literals;
    }
    if (s >= srcEnd) break; // the last sequence has literals only
    if (s + 2 > srcEnd) throw new Error("match offset runs past the block");
    const offset = (src[s] as number) | ((src[s + 1] as number) << 8);
    s += 2;
    if (offset === 0 || offset > d) throw new Error(`match offset ${offset} points before the block`);
    let length = token & 15;
    if (length === 15) {
      let extra: number;
      do {
        if (s >= srcEnd) throw new Error("match length runs past the block");
        extra = src[s++] as number;
        length += extra;
      } while (extra === 255);
    }
    length += 4;
    if (d + length > dstEnd) throw new Error("match runs past the output");
    let from = d - offset;
    if (offset >= length) {
      dst.copyWithin(d, from, from + length);
      d += length;
    } else {
      // Overlapping copy (a run): byte by byte, as the format intends.
      for (const stop = d + length; d < stop; ) dst[d++] = dst[from++] as number;
    }
  }
  return d;
}
