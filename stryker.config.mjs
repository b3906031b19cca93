// Mutation testing of the pure training core: `npm run mutate` (outside `npm test`: it takes minutes).
// Stryker mutates the TypeScript sources in a sandbox, compiles them with the tests (tsc, as
// `npm run compile-tests` does) and runs only the compiled unit tests of these modules.
// Reports: reports/mutation/ (HTML and JSON, not in git).
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'mocha',
  mutate: [
    'src/core/optimizer.ts', // global-norm clipping and the optimizer state's names
    'src/core/sample.ts',
    'src/core/batches.ts',
    'src/core/vocabulary.ts',
    'src/core/corpus.ts',
    'src/core/tokenizer.ts',
    'src/core/text.ts',
    'src/core/checkpoint.ts', // writing safe at every instant, resolving with fallbacks, pruning
    'src/core/checkpointFormat.ts', // the checked reader of checkpoint.json and latest.json
  ],
  buildCommand: 'npx tsc -p . --outDir out',
  mochaOptions: {
    spec: [
      'out/test/unit/optimizer.test.js',
      'out/test/unit/sample.test.js',
      'out/test/unit/batches.test.js',
      'out/test/unit/vocabulary.test.js',
      'out/test/unit/tokens.test.js',
      'out/test/unit/text.test.js',
      'out/test/unit/checkpointSafety.test.js',
      'out/test/unit/checkpointReader.test.js',
      'out/test/unit/checkpointRoundTrip.test.js', // every field's round trip, each refusal's message, pruning, a write's order
    ],
  },
  coverageAnalysis: 'perTest',
  // Module-level code (constants, regular expressions) runs once per process: its mutants would need a
  // fresh process each, which is slow; they are left out of the score.
  ignoreStatic: true,
  concurrency: 2,
  timeoutMS: 20000,
  // The sandbox copies the project: leave out what the build recreates or the tests never read.
  ignorePatterns: ['out', 'dist', '.cache', 'test-results', 'reports', 'scratch', 'media', 'test/e2e', 'test/webview', 'src/webview', '.seqlab'],
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
};
