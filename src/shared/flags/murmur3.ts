/**
 * MurmurHash3, x86 32-bit variant, over the UTF-8 bytes of a string. Published vectors: murmur3("", 0) = 0,
 * murmur3("hello", 0) = 0x248bfa47, murmur3("The quick brown fox jumps over the lazy dog", 0) = 0x2e4ff723.
 * ASCII text (nearly every key) is hashed straight from its char codes; anything else is UTF-8 encoded first.
 * No Buffer: the same code runs in browsers.
 */
const encoder = new TextEncoder();
let scratch = new Uint8Array(256);

export function murmur3(text: string, seed = 0): number {
  const length = text.length;
  let ascii = true;
  for (let i = 0; i < length; i++) {
    if (text.charCodeAt(i) > 0x7f) {
      ascii = false;
      break;
    }
  }
  if (ascii) return hashAscii(text, seed);
  if (scratch.length < length * 3) scratch = new Uint8Array(length * 3);
  const { written } = encoder.encodeInto(text, scratch);
  return hashBytes(scratch, written, seed);
}

function hashAscii(text: string, seed: number): number {
  const length = text.length;
  const tail = length & ~3;
  let h = seed >>> 0;
  for (let i = 0; i < tail; i += 4) {
    const k =
      text.charCodeAt(i) | (text.charCodeAt(i + 1) << 8) | (text.charCodeAt(i + 2) << 16) | (text.charCodeAt(i + 3) << 24);
    h = mixBlock(h, k);
  }
  const rest = length & 3;
  if (rest > 0) {
    let k = text.charCodeAt(tail);
    if (rest > 1) k |= text.charCodeAt(tail + 1) << 8;
    if (rest > 2) k |= text.charCodeAt(tail + 2) << 16;
    h ^= mixK(k);
  }
  return finish(h, length);
}

function hashBytes(bytes: Uint8Array, length: number, seed: number): number {
  const tail = length & ~3;
  let h = seed >>> 0;
  for (let i = 0; i < tail; i += 4) {
    h = mixBlock(
      h,
      (bytes[i] as number) |
        ((bytes[i + 1] as number) << 8) |
        ((bytes[i + 2] as number) << 16) |
        ((bytes[i + 3] as number) << 24),
    );
  }
  const rest = length & 3;
  if (rest > 0) {
    let k = bytes[tail] as number;
    if (rest > 1) k |= (bytes[tail + 1] as number) << 8;
    if (rest > 2) k |= (bytes[tail + 2] as number) << 16;
    h ^= mixK(k);
  }
  return finish(h, length);
}

function mixK(block: number): number {
  let k = Math.imul(block, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, 0x1b873593);
}

function mixBlock(h: number, block: number): number {
  let next = h ^ mixK(block);
  next = (next << 13) | (next >>> 19);
  return (Math.imul(next, 5) + 0xe6546b64) | 0;
}

function finish(hash: number, length: number): number {
  let h = hash ^ length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Sticky bucket in [0, 10000): 0.01 % granularity. */
export function bucketOf(flagKey: string, bucketingValue: string): number {
  return murmur3(`${flagKey}/${bucketingValue}`) % 10000;
}
