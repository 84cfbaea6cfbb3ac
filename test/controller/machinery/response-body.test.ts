import { expect } from 'chai';
import fc from 'fast-check';
import { forEachLine } from '../../../src/controller/machinery/response-body.ts';

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
