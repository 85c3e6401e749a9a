/**
 * Lines of a byte stream (a child process's stdout / stderr, a worker's stdin): the protocol
 * between `bench --workers` and its worker processes is one JSON message per line.
 */

/** Yields each "\n"-terminated line of `stream` (without the "\n"), then any unterminated rest. */
export async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const dec = new TextDecoder();
  let buf = "";
  for await (const chunk of stream) {
    buf += dec.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      yield buf.slice(0, nl);
      buf = buf.slice(nl + 1);
    }
  }
  buf += dec.decode();
  if (buf) yield buf;
}
