/**
 * The forecast worker: a forked Node process (like the training worker, so training never runs on the
 * extension host's thread) that makes one forecast run and exits. Messages in and out follow
 * protocol/forecast.ts; the training core reports through hooks, turned here into messages.
 */
import { selectBackend } from '../core/backend';
import { SeqLabError } from '../core/errors';
import { forecastRun } from '../core/series/forecastRun';
import { isNetwork, type ForecastOptions } from '../core/series/runForecast';
import { FORECAST_MODEL_NAMES, FORECAST_PROTOCOL_VERSION, type ForecastJob, type ForecastWorkerToHost, type HostToForecastWorker } from '../protocol/forecast';
import { isRecord, isString } from '../protocol/validate';

let stopRequested = false;
let created = false;

function send(msg: ForecastWorkerToHost): void {
  // Nobody to tell once the editor is gone: the run folder still records everything.
  if (process.connected) process.send?.(msg);
}

function optionsOf(job: ForecastJob): ForecastOptions {
  return {
    file: job.file,
    generate: job.generate,
    table: { columns: job.columns, timeColumn: job.timeColumn, interpolate: !!job.interpolate, maxBytes: job.maxBytes },
    model: job.model,
    tau: job.tau,
    trainFraction: job.trainFraction,
    period: job.period,
    seed: job.seed,
    network: {
      ...(job.head ? { head: job.head } : {}),
      ...(job.hidden ? { hidden: job.hidden } : {}),
      ...(job.window ? { window: job.window } : {}),
      ...(job.steps ? { steps: job.steps } : {}),
    },
  };
}

async function run(runsDir: string, job: ForecastJob): Promise<void> {
  if (isNetwork(job.model)) await selectBackend(job.backend);
  let lastStepSent = 0;
  const { runDir, result } = await forecastRun(
    { ...optionsOf(job), runsDir },
    {
      shouldStop: () => stopRequested,
      onCreated: (dir, record) => {
        created = true;
        send({ type: 'created', runId: record.id, runDir: dir });
      },
      onStep: ({ step, loss }) => {
        // At most one loss message every 10 steps: the host draws curves, not every point.
        if (step - lastStepSent >= 10 || step === 1) {
          lastStepSent = step;
          send({ type: 'step', step, loss });
        }
      },
      onEval: (p) => send({ type: 'eval', ...p }),
      onGradMap: (p) => send({ type: 'gradmap', ...p }),
    },
  );
  const runId = runDir.split(/[\\/]/).pop()!;
  send({ type: 'done', runId, runDir, testMse: result.test_mse, lastValueMse: result.baseline_mse.last_value });
}

// The editor went away (a reload, a crash): stop after the current step; the run is recorded as stopped, with its forecast.
process.on('disconnect', () => (stopRequested = true));

process.on('message', (raw: unknown) => {
  const msg = raw as HostToForecastWorker;
  if (!isRecord(msg)) return;
  if (msg.type === 'stop') {
    stopRequested = true;
    return;
  }
  if (msg.type !== 'forecast' || msg.version !== FORECAST_PROTOCOL_VERSION || !isString(msg.runsDir, 4096) || !isRecord(msg.job) || !FORECAST_MODEL_NAMES.includes(msg.job.model)) {
    send({ type: 'error', message: 'The forecast worker got a request it does not understand.', created: false });
    process.exit(1);
  }
  run(msg.runsDir, msg.job).then(
    () => process.exit(0),
    (e: unknown) => {
      const err = e as Error;
      send({ type: 'error', message: err.message, ...(e instanceof SeqLabError ? { code: e.code, ...(e.hint ? { hint: e.hint } : {}) } : {}), created });
      // Let the message leave before exiting.
      setTimeout(() => process.exit(1), 50);
    },
  );
});
