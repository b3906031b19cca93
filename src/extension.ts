/**
 * Sequence Lab's entry point. `activate` only constructs the long-lived objects and hands them to
 * VS Code for disposal; each object wires its own events.
 */
import * as vscode from 'vscode';
import { EventLoopMonitor } from './host/base/eventLoopMonitor';
import { registerExperimentCommands } from './host/experiments/experimentCommands';
import { ExperimentRunner } from './host/experiments/experimentRunner';
import { WorkspaceExperiments } from './host/experiments/workspaceExperiments';
import { ExperimentPanels } from './host/views/experimentPanels';
import { guardedLogger } from './host/base/logger';
import { RunNotices } from './host/views/notices';
import { registerRunCommands } from './host/commands/runCommands';
import { registerInsideCommands } from './host/inside/insideCommands';
import { RunManager } from './host/runs/runManager';
import { RunsViewProvider } from './host/views/runsView';
import type { HostServices } from './host/base/services';
import { StartupProgress } from './host/views/startupProgress';
import { RunStatusBar } from './host/views/statusBar';
import { registerTrainCommands } from './host/commands/trainCommands';
import { registerForecastCommands } from './host/forecast/forecastCommands';
import { TrainingPanels } from './host/views/trainingPanels';
import { workerSpawner } from './host/runs/workerProcess';
import { WorkspaceRuns } from './host/runs/workspaceRuns';

export function activate(context: vscode.ExtensionContext): void {
  const push = <T extends vscode.Disposable>(d: T): T => {
    context.subscriptions.push(d);
    return d;
  };
  // The channel is disposed last (subscriptions are disposed in order), so disposal can still log.
  const channel = vscode.window.createOutputChannel('Sequence Lab', { log: true });
  const log = guardedLogger(channel);
  // Training runs in a separate process (dist/worker.js): a native crash or OOM there cannot take the editor down.
  const manager = push(new RunManager({ spawnWorker: workerSpawner(context.asAbsolutePath('dist/worker.js')), log }));
  const loopMonitor = push(new EventLoopMonitor(log));
  push(manager.onDidChangeActive((runId) => (runId ? loopMonitor.start(`run ${runId}`) : loopMonitor.stop())));
  const workspaceRuns = push(new WorkspaceRuns(manager));
  const panels = push(new TrainingPanels({ extensionUri: context.extensionUri, manager, log }));
  const experimentRunner = push(new ExperimentRunner(manager, log));
  const experiments = push(new WorkspaceExperiments(experimentRunner, log));
  // One panel per experiment; registers sequenceLab.showExperiment.
  push(new ExperimentPanels({ extensionUri: context.extensionUri, manager, log }));
  const runsView = push(new RunsViewProvider(context.extensionUri, manager, () => workspaceRuns.hasWorkspace, log, experiments));
  push(new RunStatusBar(manager));
  push(new StartupProgress(manager));
  push(new RunNotices(manager, channel));

  const services: HostServices = { extensionUri: context.extensionUri, manager, log, channel, workspaceRuns, panels, runsView, loopMonitor };
  for (const d of [
    ...registerTrainCommands(services),
    ...registerRunCommands(services),
    ...registerExperimentCommands(services, experimentRunner, experiments),
    ...registerForecastCommands(services),
    ...registerInsideCommands(services),
  ])
    push(d);

  push(channel);

  // List the workspace's runs, then settle the ones a reload interrupted, then the experiments they belong to.
  void workspaceRuns
    .update()
    .then(() => manager.recoverInterrupted())
    .then(
      (recovered) => {
        if (recovered.length) log.info(`marked ${recovered.length} run(s) interrupted by the last reload: ${recovered.join(', ')}`);
        experiments.recover();
      },
      (e: Error) => log.error(`listing runs failed: ${e.message}`),
    );
  log.info(`Sequence Lab activated (extension host pid ${process.pid}, ${vscode.workspace.isTrusted ? 'trusted' : 'restricted'} workspace)`);
}

export function deactivate(): void {
  // Everything is in context.subscriptions; the run manager marks a training run interrupted on dispose.
}
