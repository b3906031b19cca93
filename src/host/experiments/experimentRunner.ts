/**
 * Runs experiments in the extension host: plans one (every value checked before anything trains),
 * records it in `.seqlab/experiments/<id>/experiment.json`, and trains its runs through the run
 * manager's queue, same files and seed, recording each run's id and state as they go (experiment.json
 * is rewritten after every change, so a reload finds it as it was). A diverged or failed run is
 * recorded and the others go on; cancel stops the run training now and drops the ones not yet queued,
 * keeping the finished runs. An experiment a reload left `running` is marked `interrupted`, and resume
 * trains what is left: stopped or interrupted runs continue from their checkpoints.
 *
 * One run at a time: the run manager trains one run at a time (one worker process, whose backend
 * already uses the cores it is given: `threads`), and these machines have two cores. Two at a time
 * would need os.availableParallelism() >= 4 and a queue that runs two workers; until the queue does,
 * queueing one run at a time keeps the order of an experiment's runs and lets cancel drop the rest
 * before they have folders. No `vscode` import: unit-tested against the fake worker.
 */
import * as path from 'node:path';
import { ConfigError, parseConfigStrict } from '../../core/config';
import { planExperiment, type ExperimentSpec } from '../../core/experiments/experimentPlan';
import { EXPERIMENT_FORMAT, EXPERIMENT_VERSION, writeExperiment, type ExperimentRecord } from '../../core/experiments/experimentRecord';
import { writeProbe } from '../../core/experiments/probeFile';
import { newRunId } from '../../core/runFiles';
import type { RunState, TrainConfig } from '../../protocol/types';
import { Disposable } from '../base/dispose';
import { Emitter } from '../base/event';
import { errorText, guarded } from '../base/guarded';
import type { Logger } from '../base/logger';
import { containRunDir, ContainmentError } from '../runs/runPaths';
import type { RunManager } from '../runs/runManager';
import { experimentsDirProblem } from './experimentPaths';
import { LIVE_STATES, waitForRunEnd } from './runEnd';
import { FINISHED, findExperiment, listExperiments, type FoundExperiment } from './experimentListing';

export interface ExperimentRequest {
  /** `<workspace folder>/.seqlab/experiments`; the runs go to `.seqlab/runs` beside it. */
  experimentsDir: string;
  /** Absolute paths, trained on concatenated in this order by every run. */
  files: string[];
  /** The settings the experiment starts from (the spec's base and varied values go on top). */
  settings: TrainConfig;
  spec: ExperimentSpec;
  name: string;
  presetId?: string;
  probe?: boolean;
  /** Per-file size limit in bytes, as for any run. */
  maxBytes?: number;
}

interface LiveExperiment {
  dir: string;
  record: ExperimentRecord;
  /** Each planned run's configuration, in the order of record.runs. */
  configs: TrainConfig[];
  maxBytes?: number;
  cancelled: boolean;
  /** The run queued or training now. */
  current?: string;
  done: Promise<void>;
}

/** Run states in which a run is still queued or training. */
/** States an experiment's run continues from on resume. */
const CONTINUABLE: readonly RunState[] = ['stopped', 'interrupted'];

export class ExperimentRunner extends Disposable {
  private readonly _onDidChange = this._register(new Emitter<string>());
  /** An experiment's record changed (its id). */
  readonly onDidChange = this._onDidChange.event;
  private readonly live = new Map<string, LiveExperiment>();
  /** Ends the waits of runs in flight when the runner is disposed. */
  private readonly waits = new Set<() => void>();
  private experimentsDirs: readonly string[] = [];

  constructor(
    private readonly manager: RunManager,
    private readonly log: Logger,
  ) {
    super();
    this._register({ dispose: () => [...this.waits].forEach((end) => end()) });
  }

  /** The experiments folders of the workspace (one per folder). */
  setExperimentsDirs(dirs: readonly string[]): void {
    this.experimentsDirs = [...dirs];
  }

  isRunning(id: string): boolean {
    return this.live.has(id);
  }

  list(): FoundExperiment[] {
    return listExperiments(this.experimentsDirs);
  }

  find(id: string): FoundExperiment | undefined {
    return findExperiment(this.experimentsDirs, id);
  }

  /**
   * Plans, records and starts an experiment; returns its id and folder once experiment.json is written.
   * Throws a ConfigError naming every refused value before anything is written or trained.
   */
  start(request: ExperimentRequest): { id: string; dir: string } {
    const plan = planExperiment(request.spec, request.settings);
    const problem = experimentsDirProblem(request.experimentsDir);
    if (problem) throw new ContainmentError(problem);
    const id = newRunId();
    const dir = path.join(request.experimentsDir, id);
    const record: ExperimentRecord = {
      format: EXPERIMENT_FORMAT,
      version: EXPERIMENT_VERSION,
      id,
      name: request.name,
      createdAt: new Date().toISOString(),
      files: request.files,
      ...(request.presetId ? { presetId: request.presetId } : {}),
      base: parseConfigStrict(request.spec.base, request.settings),
      vary: request.spec.vary,
      ...(request.probe ? { probe: true } : {}),
      runs: plan.map((p) => ({ label: p.label, values: p.values })),
      state: 'running',
    };
    writeExperiment(dir, record);
    this.log.info(`experiment ${id}: ${plan.length} runs planned (${record.name})`);
    this.launch({ dir, record, configs: plan.map((p) => p.config), maxBytes: request.maxBytes, cancelled: false, done: Promise.resolve() });
    return { id, dir };
  }

  /**
   * Stops the experiment's run training now, trains none of the rest, and records it `cancelled`
   * (finished runs are kept). An interrupted experiment is simply marked cancelled.
   */
  async cancel(id: string): Promise<void> {
    const live = this.live.get(id);
    if (!live) {
      const found = this.find(id);
      if (!found) throw new Error(`Experiment ${id} was not found.`);
      if (found.record.state !== 'interrupted') throw new Error(`${found.record.name} is ${found.record.state}: nothing to cancel.`);
      this.save({ dir: found.dir, record: { ...found.record, state: 'cancelled' } });
      return;
    }
    live.cancelled = true;
    const current = live.current;
    if (current && this.manager.isLive(current)) await this.manager.stop(current);
    await live.done;
  }

  /** Continues an interrupted or cancelled experiment: stopped and interrupted runs resume, unstarted ones train. */
  async resume(id: string, maxBytes?: number): Promise<void> {
    if (this.live.has(id)) throw new Error(`Experiment ${id} is already running.`);
    const found = this.find(id);
    if (!found) throw new Error(`Experiment ${id} was not found.`);
    const { record, dir } = found;
    if (record.state !== 'interrupted' && record.state !== 'cancelled') throw new Error(`${record.name} is ${record.state}: nothing to resume.`);
    // experiment.json is read from disk: its configuration and values are checked again, strictly.
    const configs = planExperiment({ base: {}, vary: record.vary }, parseConfigStrict(record.base)).map((p) => p.config);
    if (configs.length !== record.runs.length) throw new ConfigError([`${record.name} lists ${record.runs.length} runs but its settings plan ${configs.length}.`]);
    if (!record.files.length || !record.files.every((f) => path.isAbsolute(f))) throw new ConfigError([`${record.name} does not name its files by absolute path.`]);
    await this.manager.refresh();
    record.state = 'running';
    this.save({ dir, record });
    this.log.info(`experiment ${id}: resumed`);
    this.launch({ dir, record, configs, maxBytes, cancelled: false, done: Promise.resolve() });
  }

  /**
   * After a reload: experiments recorded `running` that no window trains any more become `interrupted`
   * (their runs' states brought up to date). Returns them. Call once the runs are listed and recovered.
   */
  recoverInterrupted(): FoundExperiment[] {
    const recovered: FoundExperiment[] = [];
    for (const found of this.list()) {
      if (found.record.state !== 'running' || this.live.has(found.record.id)) continue;
      const states = found.record.runs.map((r) => (r.runId ? this.manager.getRecord(r.runId)?.state : undefined));
      // A run still live belongs to another window that is running this experiment: leave it alone.
      if (states.some((s) => s !== undefined && LIVE_STATES.includes(s))) continue;
      const record: ExperimentRecord = { ...found.record, state: 'interrupted', runs: found.record.runs.map((r, i) => (states[i] ? { ...r, state: states[i] } : r)) };
      this.save({ dir: found.dir, record });
      recovered.push({ dir: found.dir, record });
    }
    return recovered;
  }

  // ---------------------------------------------------------------- the loop

  private launch(live: LiveExperiment): void {
    const id = live.record.id;
    this.live.set(id, live);
    live.done = new Promise<void>((resolve) =>
      guarded(
        this.log,
        `experiment ${id}`,
        () => this.drive(live).finally(resolve),
        () => resolve(),
      ),
    ).finally(() => {
      this.live.delete(id);
      this._onDidChange.fire(id);
    });
  }

  private async drive(live: LiveExperiment): Promise<void> {
    const { record } = live;
    const runsDir = path.join(path.dirname(path.dirname(live.dir)), 'runs');
    for (let i = 0; i < record.runs.length; i++) {
      if (live.cancelled || this.isDisposed) break;
      const ref = record.runs[i];
      const known = ref.runId ? this.manager.getRecord(ref.runId) : undefined;
      if (ref.runId && !known) {
        // Its folder was deleted since: train it again.
        delete ref.runId;
        delete ref.state;
      }
      if (known && FINISHED.includes(known.state)) {
        ref.state = known.state;
        continue;
      }
      let runId: string;
      try {
        if (ref.runId && known && CONTINUABLE.includes(known.state)) {
          await this.manager.resume(ref.runId, { maxBytes: live.maxBytes });
          runId = ref.runId;
        } else {
          runId = await this.manager.train({ runsDir, files: record.files, config: live.configs[i], maxBytes: live.maxBytes });
        }
      } catch (e) {
        // One run that cannot start does not end the experiment: the others still answer its question.
        this.log.error(`experiment ${record.id}: run "${ref.label}" could not start: ${errorText(e)}`);
        ref.state = 'failed';
        this.save(live);
        continue;
      }
      ref.runId = runId;
      ref.state = this.manager.getRecord(runId)?.state ?? 'queued';
      live.current = runId;
      this.save(live);
      if (live.cancelled) await this.manager.stop(runId);
      const end = await waitForRunEnd(this.manager, runId, this.waits, this.log, (state) => {
        if (state === ref.state) return;
        ref.state = state;
        this.save(live);
      });
      live.current = undefined;
      // Disposed (a reload): the record stays `running`, and the next window finds it interrupted.
      if (end === undefined) return;
      ref.state = end;
      this.save(live);
      this.log.info(`experiment ${record.id}: run ${i + 1}/${record.runs.length} "${ref.label}" (${runId}) ${end}`);
      if (record.probe && end === 'completed' && !live.cancelled) await this.probe(record.id, runId, live.maxBytes);
    }
    if (this.isDisposed) return;
    record.state = live.cancelled ? 'cancelled' : 'completed';
    this.save(live);
    this.log.info(`experiment ${record.id}: ${record.state}`);
  }

  /**
   * The context-length probe of a finished run, in the utility worker (never on this thread), written to
   * `probe.json` in the run folder: `[{ "k": 1, "loss": 2.31 }, ...]`, nats per token. A probe that fails
   * is logged; the run and the experiment stand.
   */
  private async probe(experimentId: string, runId: string, maxBytes?: number): Promise<void> {
    try {
      const { points } = await this.manager.probe(runId, maxBytes);
      const dir = this.manager.getRunDir(runId);
      if (!dir || this.isDisposed) return;
      writeProbe(containRunDir(dir), points);
      this.log.info(`experiment ${experimentId}: context probe of run ${runId}: ${points.map((p) => `k=${p.k} ${p.loss.toFixed(3)}`).join(', ')}`);
    } catch (e) {
      this.log.warn(`experiment ${experimentId}: the context probe of run ${runId} failed: ${errorText(e)}`);
    }
  }

  private save(live: Pick<LiveExperiment, 'dir' | 'record'>): void {
    try {
      writeExperiment(live.dir, live.record);
    } catch (e) {
      this.log.warn(`experiment ${live.record.id}: experiment.json could not be written: ${errorText(e)}`);
    }
    this._onDidChange.fire(live.record.id);
  }
}
