/**
 * Sampling and inspection for the run manager: from the live model of the run training now, or from a
 * checkpoint through the utility worker. Requests are checked before anything is sent (the worker
 * checks them again), and each one's failure is that request's alone.
 */
import type { RunRecord } from '../../core/runFiles';
import { sampleRequestProblem } from '../../protocol/worker';
import type { ActiveRun } from './activeRun';
import { checkpointFolder, latestCheckpoint } from './runStore';
import type { UtilityWorker } from './utilityWorker';
import { WorkerRequestError, newRequestId, type InspectResult, type ProbeResult, type SampleResult, type WorkerRequests } from './workerRequests';

export interface SampleOptions {
  runId: string;
  prompt: string;
  length: number;
  temperature: number;
  topK?: number;
  seed?: number;
  /** Beam search of this width instead of sampling. */
  beam?: number;
  /** Sample from this checkpoint step instead of the live model (or the latest checkpoint). */
  checkpointStep?: number;
}

/** What sampling needs to know of the runs. */
export interface SamplingRuns {
  active(): ActiveRun | undefined;
  record(runId: string): RunRecord | undefined;
  dir(runId: string): string | undefined;
}

export class RunSampling {
  constructor(
    private readonly runs: SamplingRuns,
    private readonly requests: WorkerRequests,
    private readonly utility: UtilityWorker,
  ) {}

  /**
   * Generates text from a run: from the live model when it is training (and no checkpoint step is
   * asked for), else from a checkpoint (the latest unless `checkpointStep` is given).
   */
  async sample(options: SampleOptions, onToken?: (token: string) => void): Promise<SampleResult> {
    const requestId = newRequestId();
    const base = {
      type: 'sample' as const,
      requestId,
      prompt: options.prompt,
      length: options.length,
      temperature: options.temperature,
      topK: options.topK ?? 0,
      seed: options.seed ?? Date.now() % 2 ** 31,
      ...(options.beam !== undefined ? { beam: options.beam } : {}),
    };
    // Refused here with the reason; the worker checks again (sampleRequestProblem in both).
    const problem = sampleRequestProblem(base);
    if (problem) throw new WorkerRequestError(problem, 'BAD_REQUEST');
    const run = this.runs.active();
    if (run && run.id === options.runId && options.checkpointStep === undefined && run.hasLiveModel) {
      const answer = this.requests.add<SampleResult>(requestId, run.worker, onToken);
      // The run folder as a fallback: if training ends while this request is in flight, the worker
      // samples from the run's latest checkpoint (written as training ends) instead of failing.
      if (run.worker.send({ ...base, runId: run.id, checkpoint: run.dir })) return answer;
      this.requests.failOwner(run.worker, 'The training process is not reachable.');
      return answer;
    }
    const checkpoint = this.checkpointPath(options.runId, options.checkpointStep);
    return this.utility.request<SampleResult>({ ...base, checkpoint }, onToken);
  }

  /** Per-token surprisal of `text` under the run's latest checkpoint. */
  async inspect(runId: string, text: string, topK = 5): Promise<InspectResult> {
    const checkpoint = this.checkpointPath(runId);
    return this.utility.request<InspectResult>({ type: 'inspect', requestId: newRequestId(), checkpoint, text, topK });
  }

  /** The context-length probe of the run's latest checkpoint on its own files' validation part (in the utility worker). */
  async probe(runId: string, maxBytes?: number): Promise<ProbeResult> {
    const checkpoint = this.checkpointPath(runId);
    const files = this.runs.record(runId)?.files ?? [];
    return this.utility.request<ProbeResult>({ type: 'probe', requestId: newRequestId(), checkpoint, files, ...(maxBytes ? { maxBytes, truncate: true } : {}) });
  }

  private checkpointPath(runId: string, step?: number): string {
    const record = this.runs.record(runId);
    const dir = this.runs.dir(runId);
    if (!record || !dir) throw new Error(`Run ${runId} was not found.`);
    const ref = step === undefined ? latestCheckpoint(record) : record.checkpoints.find((c) => c.step === step);
    if (!ref) {
      throw new Error(
        step === undefined
          ? `${record.name} has no checkpoint yet (one is written every ${record.config.checkpointInterval || record.config.steps} steps and when training ends).`
          : `${record.name} has no checkpoint at step ${step}.`,
      );
    }
    return checkpointFolder(dir, ref);
  }
}
