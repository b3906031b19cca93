// Builds every bundle of the extension: host, worker, command line and the two webviews.
//   node esbuild.mjs               development build (source maps)
//   node esbuild.mjs --production  minified, no source maps (what `npm run package` ships)
//   node esbuild.mjs --watch       rebuild on change, with problem-matcher friendly output
// Type checking is separate (`npm run typecheck`): esbuild only strips types.
import asc from 'assemblyscript/asc';
import * as esbuild from 'esbuild';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

// TensorFlow.js stays a runtime dependency loaded from node_modules: the wasm backend finds its
// .wasm files next to its own module, and tfjs-node is an optional native addon.
const nodeExternal = ['vscode', '@tensorflow/*'];

/** Prints esbuild's start/end markers and errors in the format VS Code's `$esbuild-watch` matcher reads. */
const problemMatcher = {
  name: 'problem-matcher',
  setup(build) {
    build.onStart(() => console.log('[watch] build started'));
    build.onEnd((result) => {
      for (const { text, location } of result.errors) {
        console.error(`✘ [ERROR] ${text}`);
        if (location) console.error(`    ${location.file}:${location.line}:${location.column}:`);
      }
      console.log('[watch] build finished');
    });
  },
};

const common = {
  bundle: true,
  minify: production,
  sourcemap: !production,
  sourcesContent: false,
  logLevel: 'warning',
  plugins: [problemMatcher],
};

const builds = [
  {
    ...common,
    entryPoints: {
      extension: 'src/extension.ts',
      worker: 'src/worker/main.ts',
      replica: 'src/core/parallel/replica.ts',
      kernelThread: 'src/core/parallel/kernelThread.ts',
      forecastWorker: 'src/worker/forecastWorker.ts',
    },
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: nodeExternal,
  },
  {
    ...common,
    entryPoints: { cli: 'src/cli.ts' },
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: nodeExternal,
    banner: { js: '#!/usr/bin/env node' },
  },
  {
    ...common,
    entryPoints: {
      panel: 'src/webview/panel/main.ts',
      sidebar: 'src/webview/sidebar/main.ts',
      experiment: 'src/webview/experiment/main.ts',
      forecast: 'src/webview/forecast/main.ts',
      inside: 'src/webview/inside/main.ts',
      codicon: 'src/webview/codicon.css',
    },
    outdir: 'dist/webview',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    loader: { '.ttf': 'file' },
  },
];

// Our WebAssembly SIMD kernels (src/core/kernels/asm, AssemblyScript), compiled from the repository on
// every build into dist/: a plain-SIMD build, and a relaxed-SIMD one (fused multiply-add) that the
// loader prefers where the runtime validates it (src/core/kernels/simdModule.ts).
// Each also in a threaded build over imported shared memory, for the two-thread pool (parallel/kernelPool.ts).
const THREADS = ['--enable', 'threads', '--importMemory', '--sharedMemory', '--initialMemory', '32', '--maximumMemory', '16384'];
const KERNEL_BUILDS = [
  { out: 'dist/seqlab-kernels.simd.wasm', features: ['--enable', 'simd'] },
  { out: 'dist/seqlab-kernels.relaxed.wasm', features: ['--enable', 'simd', '--enable', 'relaxed-simd'] },
  { out: 'dist/seqlab-kernels.simd.threads.wasm', features: ['--enable', 'simd', ...THREADS] },
  { out: 'dist/seqlab-kernels.relaxed.threads.wasm', features: ['--enable', 'simd', '--enable', 'relaxed-simd', ...THREADS] },
];

async function buildKernels() {
  for (const { out, features } of KERNEL_BUILDS) {
    const { error, stderr } = await asc.main(['src/core/kernels/asm/recurrent.ts', '-O3', '--noAssert', '--runtime', 'stub', ...features, '-o', out]);
    if (error) throw new Error(`AssemblyScript build of ${out} failed: ${error.message}\n${stderr.toString()}`);
  }
}

await buildKernels();
const contexts = await Promise.all(builds.map((options) => esbuild.context(options)));
if (watch) {
  await Promise.all(contexts.map((ctx) => ctx.watch()));
} else {
  await Promise.all(contexts.map((ctx) => ctx.rebuild()));
  await Promise.all(contexts.map((ctx) => ctx.dispose()));
}
