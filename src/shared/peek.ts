/**
 * Reads the first `size` bytes of a byte stream (fewer at its end) and returns them with a stream of everything, head
 * included — for sniffing a format from its content before streaming the rest.
 */
export async function peekHead<T extends Uint8Array>(
  source: AsyncIterable<T>,
  size: number,
): Promise<{ head: Buffer; all: AsyncIterable<T> }> {
  const iterator = source[Symbol.asyncIterator]();
  const taken: T[] = [];
  let length = 0;
  let finished = false;
  while (length < size) {
    const next = await iterator.next();
    if (next.done) {
      finished = true;
      break;
    }
    taken.push(next.value);
    length += next.value.length;
  }
  async function* all(): AsyncGenerator<T> {
    yield* taken;
    if (finished) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return { head: Buffer.concat(taken).subarray(0, size), all: all() };
}
