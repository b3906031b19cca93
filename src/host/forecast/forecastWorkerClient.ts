/**
 * One forecast in a forked worker process (dist/forecastWorker.js): sends the job, relays the worker's
 * checked messages, kills the process if it outlives its owner. The worker creates the run folder
 * only once the input passed every check; a refusal arrives as an error with `created: false`.
 */
import type { ChildProcess } from 'node:child_process';
import { FORECAST_PROTOCOL_VERSION, isForecastWorkerMessage, type ForecastJob, type ForecastWorkerToHost } from '../../protocol/forecast';
import { Disposable } from '../base/dispose';
import type { Logger } from '../base/logger';
import { describeExit, type WorkerSpawner } from '../runs/workerProcess';

export class ForecastWorkerClient extends Disposable {
  private readonly child: ChildProcess;
  private finished = false;

  constructor(
    spawn: WorkerSpawner,
    private readonly log: Logger,
    runsDir: string,
    job: ForecastJob,
    private readonly onMessage: (msg: ForecastWorkerToHost) => void,
  ) {
    super();
    this.child = spawn();
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.log.trace(`[forecast worker] ${chunk.trimEnd()}`));
    this.child.stdout?.resume();
    this.child.on('message', (raw: unknown) => {
      if (!isForecastWorkerMessage(raw)) {
        this.log.warn('[forecast worker] dropped a malformed message');
        return;
      }
      if (raw.type === 'done' || raw.type === 'error') this.finished = true;
      this.onMessage(raw);
    });
    this.child.on('exit', (code, signal) => {
      if (this.finished) return;
      this.finished = true;
      this.onMessage({ type: 'error', message: `The forecast worker ${describeExit({ code, signal })}.`, created: true });
    });
    this.child.send({ type: 'forecast', version: FORECAST_PROTOCOL_VERSION, runsDir, job });
    this._register({ dispose: () => !this.finished && this.child.kill() });
  }

  stop(): void {
    if (!this.finished && this.child.connected) this.child.send({ type: 'stop' });
  }
}
