// Development harness: plays the extension host for the Runs sidebar (see fixtures.js).
(function () {
  'use strict';
  const harness = window.__harness;
  const f = harness.fixtures;
  const hour = 3_600_000;
  const now = Date.now();
  const iso = (ms) => new Date(ms).toISOString();

  function runs() {
    const lstm = f.config('lstm', { layers: 2 });
    const gru = f.config('gru');
    const rnn = f.config('rnn', { hidden: 128 });
    const win = f.config('window', { hidden: 512 });
    const word = f.config('lstm', { level: 'word', hidden: 256 });
    return [
      {
        s: f.summary('20251125-160100-a1b2', 'tinyshakespeare.txt', 'lstm', lstm, 'queued', 0, {
          files: ['/w/data/tinyshakespeare.txt'],
          createdAt: iso(now - 0.1 * hour),
          durationMs: 0,
        }),
        c: lstm,
      },
      {
        s: f.summary('20251125-153000-c3d4', 'timemachine.txt', 'lstm', lstm, 'training', 3120, { createdAt: iso(now - 0.6 * hour), durationMs: 14 * 60_000, bestValLoss: 1.612 }),
        c: lstm,
      },
      {
        s: f.summary('20251125-140300-e5f6', 'timemachine.txt', 'gru', gru, 'completed', 5000, {
          createdAt: iso(now - 2 * hour),
          durationMs: 27 * 60_000 + 12_000,
          bestValLoss: 1.548,
        }),
        c: gru,
      },
      {
        s: f.summary('20251125-120000-g7h8', 'timemachine.txt', 'rnn', rnn, 'stopped', 2400, {
          createdAt: iso(now - 4 * hour),
          durationMs: 6 * 60_000 + 40_000,
          bestValLoss: 1.853,
        }),
        c: rnn,
      },
      {
        s: f.summary('20251124-180000-i9j0', 'timemachine.txt (baseline)', 'window', win, 'completed', 5000, {
          createdAt: iso(now - 22 * hour),
          durationMs: 9 * 60_000,
          bestValLoss: 2.114,
        }),
        c: win,
      },
      {
        s: f.summary('20251124-170000-k1l2', 'a.md + b.md', 'lstm', word, 'failed', 180, {
          files: ['/w/notes/a.md', '/w/notes/b.md'],
          level: 'word',
          createdAt: iso(now - 23 * hour),
          durationMs: 50_000,
          reason: 'Out of memory while building the model: hidden 256 with a 20,000-word vocabulary needs 1.6 GB.',
        }),
        c: word,
      },
    ];
  }

  function detailsOf(run) {
    const cps =
      run.s.step >= 1000
        ? [1000, 2000, 3000, 4000, 5000]
            .filter((s) => s <= run.s.step)
            .map((s) => ({ step: s, path: `checkpoints/step-${s}`, valLoss: 1.5 + 2 / Math.sqrt(s / 100), time: iso(now - 3 * hour + s * 300) }))
        : [];
    return { summary: run.s, config: run.c, info: f.info(run.c), checkpoints: cps, folder: `.seqlab/runs/${run.s.id}` };
  }

  function inspection(runId, text) {
    const r = f.rng(7);
    const tokens = [];
    const common = 'etaoinshrdlu ';
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      const prev = text[i - 1];
      // Word starts and capitals surprise a character model; letters inside words mostly do not.
      let s =
        i === 0
          ? undefined
          : (prev === ' ' || prev === '\n' ? 2.2 : 0.6) + (ch === ch.toUpperCase() && ch !== ch.toLowerCase() ? 2.5 : 0) + (common.includes(ch) ? -0.3 : 0.8) + 0.5 * r();
      if (s !== undefined) s = Math.max(0.02, s);
      const top = [
        { token: ' ', p: 0.22 },
        { token: 'e', p: 0.14 },
        { token: 't', p: 0.09 },
        { token: ch, p: s === undefined ? 0.05 : Math.exp(-s) },
      ]
        .sort((a, b) => b.p - a.p)
        .slice(0, 4);
      tokens.push({ token: ch, surprisal: s, top });
    }
    const vals = tokens.filter((t) => t.surprisal !== undefined).map((t) => t.surprisal);
    return {
      type: 'inspection',
      runId,
      tokens,
      meanSurprisal: vals.reduce((a, b) => a + b, 0) / vals.length,
      source: text === f.TEXT.slice(0, 160) ? 'selection in timemachine.txt (lines 1-3)' : 'text from the sidebar',
    };
  }

  let all = [];
  window.__sidebarHost = function (msg) {
    const sc = harness.scenario;
    if (msg.type === 'ready') {
      all = sc === 'empty' ? [] : runs();
      if (sc === 'untrusted') all = all.filter((r) => r.s.state !== 'queued' && r.s.state !== 'training');
      harness.send({ type: 'runs', runs: all.map((r) => r.s), trusted: sc !== 'untrusted', hasWorkspace: true });
      if (sc === 'runs' || sc === 'untrusted') {
        // Act as the user would: select a run, tick two for comparison, inspect the selection.
        setTimeout(() => {
          const items = document.querySelectorAll('[data-testid="run-item"]');
          const target = items[2] || items[0];
          if (target) target.click();
          const boxes = document.querySelectorAll('input.compare-check');
          if (boxes[2]) boxes[2].click();
          if (boxes[3]) boxes[3].click();
          const button = [...document.querySelectorAll('vscode-button')].find((b) => b.textContent.includes('Inspect selection'));
          if (button) button.click();
        }, 50);
      } else {
        f.finish();
      }
      return;
    }
    if (msg.type === 'run' && msg.action === 'select') {
      const run = all.find((r) => r.s.id === msg.runId);
      if (run) harness.send({ type: 'details', details: detailsOf(run) });
      return;
    }
    if (msg.type === 'inspect') {
      setTimeout(() => {
        harness.send(inspection(msg.runId, msg.text ?? f.TEXT.slice(0, 160)));
        setTimeout(f.finish, 200);
      }, 30);
    }
  };
})();
