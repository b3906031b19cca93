/**
 * The runs the host knows, by id: what the runs folders hold (listed through the checked reader) and the
 * runs this window created that the listing may not see yet. Re-reading coalesces: calls made while a
 * listing runs share it, and one more listing follows if any came in.
 */
import type { RunRecord } from '../../core/runFiles';
import { listRunsAsync } from './runListing';

export interface KnownRun {
  dir: string;
  record: RunRecord;
}

export interface RunCatalogDeps {
  /** Runs queued in this window: kept even if a listing does not show them yet. */
  queuedIds(): string[];
  /** The list changed (after every listing). */
  didChange(): void;
}

export class RunCatalog {
  private runsDirs: string[] = [];
  private runs = new Map<string, KnownRun>();
  private refreshing: Promise<void> | undefined;
  private refreshAgain = false;
  private listed = false;

  constructor(private readonly deps: RunCatalogDeps) {}

  /** True once the runs folders have been read at least once (before that, the list is not the truth). */
  get hasListed(): boolean {
    return this.listed;
  }

  async setRunsDirs(dirs: readonly string[]): Promise<void> {
    this.runsDirs = [...new Set(dirs)];
    await this.refresh();
  }

  refresh(): Promise<void> {
    if (this.refreshing) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.refreshAgain = false;
        const lists = await Promise.all(this.runsDirs.map((d) => listRunsAsync(d)));
        const next = new Map<string, KnownRun>();
        for (const entry of lists.flat()) {
          if (next.has(entry.record.id)) continue;
          // A listing that started before this window's last write (a run that just ended) is older than memory.
          const mine = this.runs.get(entry.record.id);
          next.set(entry.record.id, mine && mine.record.updatedAt > entry.record.updatedAt ? mine : entry);
        }
        // Runs this window just created may not be on disk yet in the listing's view; keep queued ones.
        for (const id of this.deps.queuedIds()) {
          const queued = this.runs.get(id);
          if (!next.has(id) && queued) next.set(id, queued);
        }
        this.runs = next;
        this.listed = true;
      } while (this.refreshAgain);
      this.refreshing = undefined;
      this.deps.didChange();
    })();
    return this.refreshing;
  }

  get(id: string): KnownRun | undefined {
    return this.runs.get(id);
  }

  has(id: string): boolean {
    return this.runs.has(id);
  }

  set(id: string, run: KnownRun): void {
    this.runs.set(id, run);
  }

  delete(id: string): void {
    this.runs.delete(id);
  }

  values(): IterableIterator<KnownRun> {
    return this.runs.values();
  }
}
