/**
 * Splits a byte stream into text lines. Chunk boundaries fall anywhere (inside a line, inside a multi-byte UTF-8
 * character), so both the decoder and the partial line carry over between chunks. A last line without a trailing
 * newline is still yielded. Uses `getReader()` rather than async iteration so it also runs in browsers.
 */
export async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let pending = "";
  let done = false;
  try {
    while (true) {
      const chunk = await reader.read();
      if (chunk.done) break;
      pending += decoder.decode(chunk.value, { stream: true });
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) yield stripCarriageReturn(line);
    }
    pending += decoder.decode();
    done = true;
    if (pending !== "") yield stripCarriageReturn(pending);
  } finally {
    // The consumer stopped early (break, abort): release the connection instead of draining it.
    if (!done) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

function stripCarriageReturn(line: string): string {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}
