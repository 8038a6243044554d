// Types for the vendored, patched fzstd 0.1.1 (the parts used here; same API as the npm package).
export type ZstdStreamHandler = (data: Uint8Array, final?: boolean) => unknown;
export declare class Decompress {
  constructor(ondata?: ZstdStreamHandler);
  push(chunk: Uint8Array, final?: boolean): void;
  ondata: ZstdStreamHandler;
}
export declare function decompress(dat: Uint8Array, buf?: Uint8Array): Uint8Array;
