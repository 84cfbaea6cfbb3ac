import { expect } from 'chai';
import fc from 'fast-check';
import {
  LINE_SLICE_MS,
  forEachLine,
  leadingContinueToken,
} from '../../../src/controller/machinery/response-body.ts';

async function* chunksOf(bytes: Buffer, cuts: readonly number[]): AsyncIterable<Uint8Array> {
  let start = 0;
  for (const cut of [...new Set(cuts)].sort((a, b) => a - b)) {
    if (cut <= start || cut >= bytes.length) continue;
    yield new Uint8Array(bytes.subarray(start, cut));
    start = cut;
  }
  if (start < bytes.length) yield bytes.subarray(start);
}

async function linesOf(chunks: AsyncIterable<Uint8Array>, stopAfter = Infinity): Promise<string[]> {
  const lines: string[] = [];
  await forEachLine(chunks, (line) => {
    lines.push(line);
    return lines.length < stopAfter;
  });
  return lines;
}

describe('forEachLine (watch stream framing)', () => {
  const cases: [string, string, number[], string[]][] = [
    ['one chunk, two lines', '{"a":1}\n{"b":2}\n', [], ['{"a":1}', '{"b":2}']],
    ['a line split across three chunks', '{"abc":1}\n', [2, 5], ['{"abc":1}']],
    ['a cut right after a newline', '{"a":1}\n{"b":2}\n', [8], ['{"a":1}', '{"b":2}']],
    ['a multi-byte character split between chunks', '{"é":"ü"}\n', [3, 8], ['{"é":"ü"}']],
    ['blank lines skipped', '\n{"a":1}\n\n\n{"b":2}\n', [], ['{"a":1}', '{"b":2}']],
    ['CRLF kept for JSON.parse to ignore', '{"a":1}\r\n', [], ['{"a":1}\r']],
    ['a last line cut off by the end of the stream is dropped', '{"a":1}\n{"b":', [], ['{"a":1}']],
    ['nothing at all', '', [], []],
  ];
  for (const [title, text, cuts, expected] of cases) {
    it(title, async () => {
      expect(await linesOf(chunksOf(Buffer.from(text), cuts))).to.deep.equal(expected);
    });
  }

  it('lets the event loop serve other I/O between lines once a slice is used up, even within one chunk', async () => {
    // Three lines in one chunk, each taking longer than a slice: a callback queued for the event loop's next turn
    // runs after the first line and before the last, instead of after all three.
    const order: string[] = [];
    setImmediate(() => order.push('other I/O'));
    await forEachLine(chunksOf(Buffer.from('{"a":1}\n{"b":2}\n{"c":3}\n'), []), (line) => {
      const until = performance.now() + LINE_SLICE_MS + 1;
      while (performance.now() < until);
      order.push(line);
      return true;
    });
    expect(order).to.deep.equal(['{"a":1}', 'other I/O', '{"b":2}', '{"c":3}']);
  });

  it('stops reading when the callback says so', async () => {
    let pulled = 0;
    async function* counting(): AsyncIterable<Uint8Array> {
      for (const part of ['{"a":1}\n{"b":2}\n', '{"c":3}\n']) {
        pulled++;
        yield Buffer.from(part);
      }
    }
    expect(await linesOf(counting(), 1)).to.deep.equal(['{"a":1}']);
    expect(pulled, 'the second chunk is never read').to.equal(1);
  });

  it('yields exactly the lines written, however the bytes are cut (property)', async () => {
    const line = fc
      .string({ unit: 'grapheme', maxLength: 30 })
      .filter((s) => !s.includes('\n') && s.trim() !== '');
    await fc.assert(
      fc.asyncProperty(
        fc.array(line, { maxLength: 12 }),
        fc.array(fc.nat({ max: 400 }), { maxLength: 20 }),
        async (lines, cuts) => {
          const bytes = Buffer.from(lines.map((l) => `${l}\n`).join(''));
          expect(await linesOf(chunksOf(bytes, cuts))).to.deep.equal(lines);
        },
      ),
    );
  });
});

describe('leadingContinueToken (the next page, before the items are parsed)', () => {
  const list = (metadata: Record<string, unknown>, items: unknown[] = [{ metadata: { name: 'a' } }]) =>
    JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata, items });
  const cases: [string, string, string | undefined][] = [
    ['a page with more to come', list({ resourceVersion: '7', continue: 'eyJydiI6N30' }), 'eyJydiI6N30'],
    ['the last page', list({ resourceVersion: '7' }), undefined],
    ['an empty token', list({ resourceVersion: '7', continue: '' }), undefined],
    ['escapes in the token', list({ continue: 'a"b\\c/d' }), 'a"b\\c/d'],
    [
      'a "continue" only inside an item',
      list({ resourceVersion: '7' }, [{ metadata: { name: 'a', annotations: { continue: 'x' } } }]),
      undefined,
    ],
    [
      'items before metadata (not how Kubernetes writes it): left to the parse',
      JSON.stringify({ items: [], metadata: { continue: 'x' } }),
      undefined,
    ],
    ['not JSON', '<html>proxy error</html>', undefined],
  ];
  for (const [what, body, expected] of cases)
    it(what, () => expect(leadingContinueToken(body)).to.equal(expected));

  it('reads what the parse reads whenever metadata comes first (property)', () => {
    fc.assert(
      fc.property(
        fc.option(fc.string(), { nil: undefined }),
        fc.array(fc.dictionary(fc.string(), fc.string()), { maxLength: 5 }),
        (token, labels) => {
          const body = list(
            { resourceVersion: '1', ...(token !== undefined ? { continue: token } : {}) },
            labels.map((l, i) => ({ metadata: { name: `p${i}`, labels: l } })),
          );
          const parsed =
            (JSON.parse(body) as { metadata: { continue?: string } }).metadata.continue || undefined;
          expect(leadingContinueToken(body)).to.equal(parsed);
        },
      ),
    );
  });
});
