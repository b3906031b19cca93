// Development harness: plays the extension host for the page, with realistic, deterministic data:
// thousands of metric points, ~50 gradient maps of 64 time steps (the last prediction's gradient
// falling about 0.15 decades per step back for a plain RNN, 0.05 for a trained LSTM; the whole
// window's flat near 1e-2 with a dip at the last step), periodic samples, a comparison, a runs list
// and an inspection. The read-only scenario is a run recorded before the engine kept both gradients. Scenario and theme come from the URL (?scenario=...&theme=dark|light|hc).
(function () {
  'use strict';
  const harness = window.__harness;
  const TEXT =
    'The Time Traveller (for so it will be convenient to speak of him) was expounding a recondite matter to us. ' +
    'His grey eyes shone and twinkled, and his usually pale face was flushed and animated. The fire burned brightly, ' +
    'and the soft radiance of the incandescent lights in the lilies of silver caught the bubbles that flashed and ' +
    'passed in our glasses.\n"You must follow me carefully. I shall have to controvert one or two ideas that are almost ' +
    'universally accepted. The geometry, for instance, they taught you at school is founded on a misconception."';

  // ------------------------------------------------------------ deterministic randomness
  function rng(seed) {
    let a = seed >>> 0;
    return function () {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  function gauss(r) {
    return Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
  }

  // ------------------------------------------------------------ a run's history
  // fall: decades the last prediction's gradient loses per step back (per context position for the
  // window model), early in training -> trained. Seen on The Time Machine: a plain RNN loses about
  // 9 decades over a 64-step window; gated cells lose less once trained.
  const PROFILES = {
    rnn: { floor: 1.78, fallStart: 0.17, fallEnd: 0.15, gap: 0.09 },
    gru: { floor: 1.56, fallStart: 0.1, fallEnd: 0.065, gap: 0.07 },
    lstm: { floor: 1.47, fallStart: 0.09, fallEnd: 0.05, gap: 0.06 },
    window: { floor: 2.05, fallStart: 0.1, fallEnd: 0.06, gap: 0.05 },
  };

  function config(cell, over) {
    return Object.assign(
      {
        level: 'char',
        minFreq: 1,
        maxVocab: 256,
        valFraction: 0.1,
        cell,
        hidden: 256,
        layers: 1,
        embedding: 0,
        tau: 16,
        batch: 32,
        window: 64,
        batching: 'random',
        optimizer: 'adam',
        lr: 0.003,
        clip: 1,
        steps: 5000,
        seed: 1,
        evalInterval: 100,
        evalTokens: 20000,
        gradMapInterval: 60,
        sampleInterval: 500,
        sampleLength: 200,
        temperature: 0.8,
        checkpointInterval: 1000,
        backend: 'auto',
      },
      over,
    );
  }

  /**
   * One gradient map's two quantities for one layer, [t]. last: ||dℓ_T/dh_t||, geometric in the
   * distance T-1-t, with a slowly wandering slope. total: ||dL/dh_t|| = ||sum over later predictions
   * of dℓ_s/dh_t|| / T; those terms point in unrelated directions, so their norms add in squares:
   * flat, except near the end of the window, which fewer predictions reach (the last step only one).
   */
  function gradProfiles(r, rows, fall, top, level, windowCell) {
    const last = [];
    const total = [];
    const ratio2 = Math.pow(10, -2 * fall);
    let walk = 0;
    for (let t = rows - 1; t >= 0; t--) {
      const depth = rows - 1 - t;
      walk += 0.03 * gauss(r);
      last[t] = top * Math.pow(10, -fall * depth + walk + 0.03 * gauss(r));
      const reach = windowCell ? 1 : Math.sqrt(1 - Math.pow(ratio2, depth + 1));
      total[t] = level * reach * Math.exp(0.08 * gauss(r));
    }
    return { last, total };
  }

  function history(cell, cfg, steps, seed, legacyMaps) {
    const r = rng(seed);
    const p = PROFILES[cell];
    const lossAt = (s) => p.floor + (4.17 - p.floor) * Math.exp(-s / 320) + 0.3 * Math.exp(-s / 2200);
    const tokensPerSec = { rnn: 9100, gru: 5200, lstm: 4100, window: 15000 }[cell];
    const msPerStep = (cfg.batch * cfg.window * 1000) / tokensPerSec;
    const metrics = [];
    for (let s = 1; s <= steps; s++) {
      const noise = gauss(r) * 0.055 * (1 + 1.5 * Math.exp(-s / 400));
      const gradNorm = Math.max(0.05, (0.55 + 2.4 * Math.exp(-s / 250)) * Math.exp(0.35 * gauss(r)));
      metrics.push({
        step: s,
        loss: lossAt(s) + noise,
        gradNorm,
        clipped: cfg.clip > 0 && gradNorm > cfg.clip,
        tokensPerSec: tokensPerSec * (1 + 0.03 * gauss(r)),
        elapsedMs: Math.round(s * msPerStep),
      });
    }
    const evals = [];
    for (let s = cfg.evalInterval; s <= steps; s += cfg.evalInterval) {
      evals.push({ step: s, valLoss: lossAt(s) + p.gap + 0.012 * gauss(r) + Math.max(0, (s - 3500) / 3000) * 0.08 });
    }
    const gradMaps = [];
    const rows = cell === 'window' ? cfg.tau : cfg.window;
    for (let s = cfg.gradMapInterval; s <= steps; s += cfg.gradMapInterval) {
      const progress = Math.min(1, (s / cfg.steps) * 1.5);
      const fall = p.fallStart + (p.fallEnd - p.fallStart) * progress;
      const top = 0.3 * (1 + 1.5 * Math.exp(-s / 600));
      const level = 0.01 * (1 + 0.8 * Math.exp(-s / 600));
      const last = [];
      const total = [];
      for (let l = 0; l < cfg.layers; l++) {
        // The upper layer (nearer the output) gets a larger signal that fades a little faster.
        const g = gradProfiles(r, rows, fall * (l ? 1.1 : 1), top * (l ? 1.6 : 1), level * (l ? 1.4 : 1), cell === 'window');
        last.push(g.last);
        total.push(g.total);
      }
      const common = { step: s, paramGradNorms: { 'rnn/kernel': 0.4, 'rnn/recurrent_kernel': 0.3 }, globalNorm: metrics[s - 1].gradNorm, clip: cfg.clip };
      // An engine before the last prediction's map wrote the whole window's gradient as hiddenGradNorms.
      gradMaps.push(legacyMaps ? Object.assign({ hiddenGradNorms: total }, common) : Object.assign({ hiddenGradNorms: last, totalGradNorms: total }, common));
    }
    const samples = [];
    for (let s = cfg.sampleInterval; s <= steps; s += cfg.sampleInterval)
      samples.push({ step: s, prompt: '', text: garble(TEXT.slice((s * 7) % 200, ((s * 7) % 200) + 220), Math.exp(-s / 900) * 0.9 + 0.04, r), temperature: cfg.temperature });
    return { metrics, evals, gradMaps, samples };
  }

  /** Text that reads worse the earlier the step: each letter replaced with probability p. */
  function garble(text, p, r) {
    const letters = 'etaoinshrdlu ';
    let out = '';
    for (const ch of text) out += r() < p ? letters[Math.floor(r() * letters.length)] : ch;
    return out;
  }

  function summary(id, name, cell, cfg, state, step, extra) {
    return Object.assign(
      {
        id,
        name,
        state,
        files: ['/home/user/corpora/timemachine.txt'],
        cell,
        hidden: cfg.hidden,
        layers: cfg.layers,
        level: cfg.level,
        step,
        steps: cfg.steps,
        createdAt: '2025-11-25T14:03:00Z',
        durationMs: step * 230,
      },
      extra,
    );
  }

  function info(cfg, backend) {
    return {
      backend: backend || 'wasm',
      backendReason: 'tfjs-node is not installed; WebAssembly (SIMD, 1 thread) is the fastest available',
      vocabSize: 65,
      paramCount: cfg.cell === 'lstm' ? 839_745 : cfg.cell === 'gru' ? 629_825 : 213_569,
      trainTokens: 161_081,
      valTokens: 17_898,
      uniformLoss: Math.log(65),
      unigramLoss: 3.07,
      charsPerToken: 1,
    };
  }

  // ------------------------------------------------------------ panel scenarios
  function panelScenario() {
    const sc = harness.scenario;
    if (sc === 'empty')
      return { empty: 'No run to show yet. Right-click a text file in the Explorer and choose "Train Language Model on File", or pick a run in the Sequence Lab sidebar.' };
    if (sc === 'compare') {
      const runs = ['rnn', 'gru', 'lstm'].map((cell, i) => {
        const cfg = config(cell, { steps: 3000 });
        const h = history(cell, cfg, 3000, 10 + i);
        return { id: 'run-' + cell, label: cell.toUpperCase() + ' 1×256 char', metrics: h.metrics, evals: h.evals, info: info(cfg) };
      });
      return { compare: runs };
    }
    if (sc === 'starting') {
      const cfg = config('gru');
      const runId = '20251125-170000-gru';
      const run = {
        summary: summary(runId, 'tinyshakespeare.txt', 'gru', cfg, 'starting', 0, { files: ['/home/user/corpora/tinyshakespeare.txt'], durationMs: 0 }),
        config: cfg,
        metrics: [],
        evals: [],
        gradMaps: [],
        samples: [],
        checkpoints: [],
      };
      return { runId, run, readOnly: false, first: 0, total: 0 };
    }
    const cell = sc === 'lstm' ? 'lstm' : sc === 'window' ? 'window' : 'rnn';
    const perf = sc === 'perf';
    const cfg = config(
      cell,
      cell === 'lstm'
        ? { layers: 2 }
        : cell === 'window'
          ? { tau: 16, hidden: 512 }
          : perf
            ? { hidden: 128, steps: 50_000, gradMapInterval: 500, evalInterval: 250 }
            : { hidden: 128 },
    );
    const total = sc === 'lstm' ? 5000 : perf ? 50_000 : 3000;
    const h = history(cell, cfg, total, 3, sc === 'readonly');
    const state = sc === 'lstm' ? 'completed' : sc === 'readonly' ? 'paused' : 'training';
    const runId = '20251125-140300-' + cell;
    const name = 'timemachine.txt';
    const live = state === 'training';
    const first = live ? Math.floor(total * (perf ? 0.9 : 0.8)) : total;
    const run = {
      summary: summary(runId, name, cell, cfg, state, first, state === 'completed' ? {} : {}),
      config: cfg,
      info: info(cfg),
      metrics: h.metrics.slice(0, first),
      evals: h.evals.filter((e) => e.step <= first),
      gradMaps: h.gradMaps.filter((g) => g.step <= first),
      samples: h.samples.filter((s) => s.step <= first),
      checkpoints: [{ step: 1000, path: 'checkpoints/step-1000', valLoss: 1.9, time: '2025-11-25T14:08:00Z' }],
    };
    return { runId, run, readOnly: sc === 'readonly', rest: live ? h : undefined, first, total, cfg, name, cell };
  }

  function playPanel() {
    const s = panelScenario();
    if (s.empty) {
      harness.send({ type: 'empty', message: s.empty });
      return finish();
    }
    if (s.compare) {
      harness.send({ type: 'compare', runs: s.compare });
      return finish();
    }
    // A late delta of another run must be dropped.
    harness.send({
      type: 'deltas',
      runId: 'some-older-run',
      metrics: [{ step: 1, loss: 99, gradNorm: 1, clipped: false, tokensPerSec: 1, elapsedMs: 1 }],
      evals: [],
      gradMaps: [],
      samples: [],
    });
    harness.send({ type: 'snapshot', runId: s.runId, run: s.run, readOnly: s.readOnly });
    if (!s.rest) return finish();
    // Stream the rest of the run as the host would: metric batches, evaluations, maps, samples.
    let step = s.first;
    const end = s.total;
    // Frame gaps while deltas stream in: a long gap is a janky chart.
    const perf = (harness.perf = { frames: 0, maxGapMs: 0, over50: 0, batches: 0 });
    let last = performance.now();
    let measuring = true;
    const tick = (t) => {
      const gap = t - last;
      last = t;
      perf.frames++;
      if (perf.frames > 2) {
        perf.maxGapMs = Math.max(perf.maxGapMs, Math.round(gap));
        if (gap > 50) perf.over50++;
      }
      if (measuring) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    const timer = setInterval(() => {
      perf.batches++;
      const next = Math.min(end, step + 40);
      const within = (x) => x.step > step && x.step <= next;
      harness.send({
        type: 'deltas',
        runId: s.runId,
        metrics: s.rest.metrics.slice(step, next),
        evals: s.rest.evals.filter(within),
        gradMaps: s.rest.gradMaps.filter(within),
        samples: s.rest.samples.filter(within),
      });
      harness.send({
        type: 'deltas',
        runId: 'some-older-run',
        metrics: [{ step: next, loss: 50, gradNorm: 1, clipped: false, tokensPerSec: 1, elapsedMs: 1 }],
        evals: [],
        gradMaps: [],
        samples: [],
      });
      step = next;
      if (step >= end - 200) {
        clearInterval(timer);
        measuring = false;
        harness.send({ type: 'status', runId: s.runId, summary: Object.assign({}, s.run.summary, { step }), info: s.run.info, checkpoints: s.run.checkpoints });
        finish();
      }
    }, 5);
  }

  function panelRequest(msg) {
    if (msg.type !== 'sampleNow') return;
    const r = rng(99);
    const text = garble(TEXT.slice(30, 30 + Math.min(msg.length, 400)), 0.05, r);
    let i = 0;
    const timer = setInterval(() => {
      if (i >= text.length) {
        clearInterval(timer);
        harness.send({ type: 'sampleDone', requestId: msg.requestId, text });
        return;
      }
      const chunk = text.slice(i, i + 3);
      i += 3;
      harness.send({ type: 'sampleToken', requestId: msg.requestId, token: chunk });
    }, 4);
  }

  function finish() {
    // Two frames: the page batches drawing to animation frames.
    requestAnimationFrame(() =>
      requestAnimationFrame(() => {
        harness.done = true;
      }),
    );
  }

  harness.onMessage = function (msg) {
    if (harness.view === 'panel') {
      if (msg.type === 'ready') playPanel();
      else panelRequest(msg);
    } else if (window.__sidebarHost) {
      window.__sidebarHost(msg, { rng, config, summary, info, finish });
    }
  };
  harness.fixtures = { rng, gauss, config, history, summary, info, finish, TEXT };
})();
