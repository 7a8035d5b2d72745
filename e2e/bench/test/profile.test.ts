import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SourceMap } from 'node:module';
import { sourceOf, summarizeProfile, whereOf } from '../profile.ts';

const frame = (url: string, functionName = 'f') => ({ functionName, url });

describe('where a profiled function lives', () => {
  for (const [url, where] of [
    ['file:///repo/node_modules/@prisma/client/runtime/client.mjs', '@prisma/client'],
    ['file:///repo/node_modules/undici/lib/dispatcher/pool.js', 'undici'],
    // A package inside another's node_modules is itself.
    ['file:///repo/node_modules/@aws-sdk/client-s3/node_modules/@smithy/core/dist/index.js', '@smithy/core'],
    ['file:///repo/services/image/src/http/routes.ts', 'ours: services/image'],
    ['file:///repo/packages/runtime/src/http/app.ts', 'ours: packages/runtime'],
    ['node:internal/streams/readable', 'node:streams'],
    ['node:_http_outgoing', 'node:http'],
    ['node:net', 'node:net'],
    ['node:internal/per_context/primordials', 'node:per_context'],
    ['node:child_process', 'node:child_process'],
    ['wasm://wasm/0123abcd', 'WebAssembly'],
  ] as const)
    it(`${url} is ${where}`, () => {
      assert.equal(whereOf(frame(url)), where);
    });

  it("V8's own frames are named as V8 names them, and native functions by their name", () => {
    assert.equal(whereOf(frame('', '(garbage collector)')), 'garbage collector');
    assert.equal(whereOf(frame('', '(program)')), 'V8 (program)');
    assert.equal(whereOf(frame('', 'writev')), 'native writev');
  });
});

describe("a bundled service's frames", () => {
  // Line 0 of the bundle comes from the service's routes, line 1 from undici (VLQ: source +0, then +1);
  // line 2 is code esbuild wrote itself (a segment with a column and no source).
  const map = new SourceMap({
    version: 3,
    file: 'main.mjs',
    sources: ['../src/http/routes.ts', '../../../node_modules/undici/lib/pool.js'],
    names: [],
    mappings: 'AAAA;ACAA;A;',
    sourceRoot: '',
    sourcesContent: [],
  });
  const bundle = 'file:///repo/services/api/dist/main.mjs';
  const at = (lineNumber: number) => ({ functionName: 'f', url: bundle, lineNumber, columnNumber: 4 });

  it('are charged to the file its source map names', () => {
    assert.equal(whereOf(sourceOf(at(0), () => map)), 'ours: services/api');
    assert.equal(whereOf(sourceOf(at(1), () => map)), 'undici');
  });

  it('stay where they are without a source map, or where the map names no source', () => {
    assert.equal(sourceOf(at(1), () => undefined).url, bundle);
    assert.equal(sourceOf(at(2), () => map).url, bundle);
  });
});

describe('a profile summed up', () => {
  it("charges each sample's frame until the next sample, leaves idle time out, and sorts by time", () => {
    const summary = summarizeProfile({
      nodes: [
        { id: 1, callFrame: frame('', '(idle)') },
        { id: 2, callFrame: frame('file:///r/node_modules/undici/a.js') },
        { id: 3, callFrame: frame('file:///r/services/api/src/b.ts') },
        { id: 4, callFrame: frame('file:///r/node_modules/undici/c.js') },
      ],
      samples: [3, 2, 1, 4, 3],
      timeDeltas: [0, 1_000, 3_000, 50_000, 2_000],
    });
    // api: 1 ms (then the last sample, charged nothing); undici: 3 ms + 2 ms; idle's 50 ms left out.
    assert.deepEqual(summary, [
      { where: 'undici', selfMs: 5, share: 5 / 6 },
      { where: 'ours: services/api', selfMs: 1, share: 1 / 6 },
    ]);
  });
});
