/**
 * A worker process for sampling and inspection from checkpoints, apart from the training worker so a
 * request never waits for (or disturbs) a training run's process. Started on the first request, kept
 * while requests keep coming (loading tfjs costs a second or two), shut down after a quiet spell.
 */
import type { InsideRequest } from '../../protocol/inside';
import type { InspectRequest, ProbeRequest, SampleRequest } from '../../protocol/worker';
import { Disposable } from '../base/dispose';
import { guarded } from '../base/guarded';
import type { Logger } from '../base/logger';
import { WorkerProcess, describeExit, type WorkerSpawner } from './workerProcess';
import { WorkerRequestError, type InspectResult, type ProbeResult, type SampleResult, type WorkerRequests } from './workerRequests';

export class UtilityWorker extends Disposable {
  private worker: WorkerProcess | undefined;
  private ready: Promise<boolean> | undefined;
  private inFlight = 0;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly spawn: WorkerSpawner,
    private readonly log: Logger,
    private readonly requests: WorkerRequests,
    private readonly timing: { idleMs: number; helloTimeoutMs: number; requestTimeoutMs: number },
  ) {
    super();
  }

  async request<T extends SampleResult | InspectResult | ProbeResult | object>(
    msg: SampleRequest | InspectRequest | ProbeRequest | InsideRequest,
    onToken?: (token: string) => void,
  ): Promise<T> {
    clearTimeout(this.idleTimer);
    this.inFlight++;
    let timer: NodeJS.Timeout | undefined;
    try {
      const worker = await this.ensureWorker();
      const answer = this.requests.add<T>(msg.requestId, worker, onToken);
      if (!worker.send(msg)) this.requests.failOwner(worker, 'The sampling process is not reachable.');
      // A request that never ends (a hung model load, a runaway loop) fails, and the process is
      // replaced: the next request starts a fresh one.
      timer = setTimeout(() => {
        const ms = this.timing.requestTimeoutMs;
        const seconds = (ms / 1000).toFixed(ms < 10_000 ? 1 : 0);
        this.log.warn(`[sampler] request ${msg.requestId} took longer than ${seconds} s; killing the sampling process`);
        this.requests.fail(
          msg.requestId,
          new WorkerRequestError(
            `${msg.type === 'sample' || msg.type === 'beam' ? 'Sampling' : msg.type === 'probe' ? 'The context probe' : 'Inspecting'} took longer than ${seconds} s and was stopped; the sampling process was restarted. Try a shorter length or prompt.`,
            'TIMEOUT',
          ),
        );
        if (this.worker === worker) {
          this.worker = undefined;
          this.ready = undefined;
        }
        worker.kill();
      }, this.timing.requestTimeoutMs);
      return await answer;
    } finally {
      clearTimeout(timer);
      this.inFlight--;
      if (this.inFlight === 0) this.scheduleIdle();
    }
  }

  private async ensureWorker(): Promise<WorkerProcess> {
    if (!this.worker || !this.worker.isAlive) {
      const worker = new WorkerProcess(this.spawn, this.log, 'sampler');
      this.worker = worker;
      worker.onDidReceive((msg) =>
        guarded(this.log, `[sampler] '${msg.type}' message`, () => {
          if (!this.requests.handle(msg)) this.log.warn(`[sampler] unexpected '${msg.type}' message`);
        }),
      );
      worker.onDidExit((exit) =>
        guarded(this.log, '[sampler] exit', () => {
          this.requests.failOwner(worker, `The sampling process ${describeExit(exit)}.`);
          if (this.worker === worker) {
            this.worker = undefined;
            this.ready = undefined;
          }
          worker.dispose();
        }),
      );
      this.ready = worker.waitForHello(this.timing.helloTimeoutMs).then((hello) => {
        if (!hello.ok) {
          this.log.error(`[sampler] ${hello.reason}`);
          worker.kill();
          return false;
        }
        return true;
      });
    }
    const worker = this.worker;
    if (!(await this.ready)) throw new WorkerRequestError('The sampling process could not start; see the Sequence Lab output for details.', 'WORKER_START');
    return worker;
  }

  private scheduleIdle(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      const worker = this.worker;
      if (!worker || this.inFlight > 0) return;
      this.log.info('[sampler] idle; shutting down');
      worker.send({ type: 'shutdown' });
      setTimeout(() => worker.kill(), 3000).unref();
    }, this.timing.idleMs);
    this.idleTimer.unref();
  }

  override dispose(): void {
    clearTimeout(this.idleTimer);
    this.worker?.dispose();
    this.worker = undefined;
    super.dispose();
  }
}
