/** The folder of a run's latest checkpoint, or an error saying why there is none. */
import type { RunManager } from '../runs/runManager';
import { checkpointFolder, latestCheckpoint } from '../runs/runStore';

export function runCheckpoint(manager: RunManager, runId: string): string {
  const record = manager.getRecord(runId);
  const dir = manager.getRunDir(runId);
  if (!record || !dir) throw new Error(`Run ${runId} was not found.`);
  const ref = latestCheckpoint(record);
  if (!ref) throw new Error(`${record.name} has no checkpoint yet (one is written every ${record.config.checkpointInterval || record.config.steps} steps and when training ends).`);
  return checkpointFolder(dir, ref);
}
