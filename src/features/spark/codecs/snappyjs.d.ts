// snappyjs ships no types: the two functions we use, as its README documents them.
declare module "snappyjs" {
  export function uncompress<T extends Uint8Array | ArrayBuffer>(compressed: T, maxLength?: number): T;
  export function compress<T extends Uint8Array | ArrayBuffer>(uncompressed: T): T;
}
