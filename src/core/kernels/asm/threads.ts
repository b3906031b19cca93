// AssemblyScript: the two-thread side of the kernels. Every layer function runs on both threads at
// once (the same call, SPMD), each taking its share: matrix products by columns (whole 8-column
// panels), gate arithmetic by rows of the batch, with a barrier between the phases. The main thread
// calls the function directly; the worker thread waits in serveJobs for the same call (threads.ts in
// src/core/parallel posts it). In builds without threads (NT stays 1) every barrier is a no-op.

/** This thread's index and the thread count; the barrier's two words in shared memory. */
export let TID: i32 = 0;
let NT: i32 = 1;
let BAR: usize = 0;

/** Spins before sleeping: a round trip stays well under a microsecond when both threads are busy. */
const SPINS: i32 = 20000;

export function setThread(tid: i32, nt: i32, bar: usize): void {
  TID = tid;
  NT = nt;
  BAR = bar;
}

/** Start of part `which` (0: this thread's start, 1: its end) of n rows. */
export function rowsOf(n: i32, which: i32): i32 {
  return (n * (TID + which)) / NT;
}

/** Start or end of this thread's columns of an n-column product, in whole panels of 8. */
export function colsOf(n: i32, which: i32): i32 {
  const panels = (n + 7) >> 3;
  return min(n, ((panels * (TID + which)) / NT) << 3);
}

/** Waits until every thread has arrived (a counter and a generation word, sense by generation). */
export function barrier(): void {
  if (ASC_FEATURE_THREADS) {
    if (NT == 1) return;
    const gen = atomic.load<i32>(BAR + 4);
    if (atomic.add<i32>(BAR, 1) == NT - 1) {
      atomic.store<i32>(BAR, 0);
      atomic.store<i32>(BAR + 4, gen + 1);
      atomic.notify(BAR + 4, NT);
      return;
    }
    let spins = 0;
    while (atomic.load<i32>(BAR + 4) == gen) {
      if (++spins > SPINS) memory.atomic.wait32(BAR + 4, gen, 1000000); // 1 ms, then look again
    }
  }
}

/**
 * The worker thread's loop: ctrl[0] is the job generation, ctrl[1] the kind (0: stop), ctrl[2..]
 * the arguments. Runs until a stop job.
 */
export function serveJobs(ctrl: usize, run: (kind: i32, args: usize) => void): void {
  if (ASC_FEATURE_THREADS) {
    let seen = 0; // ctrl starts at 0: a job posted before this thread got here is still seen as new
    while (true) {
      let spins = 0;
      while (atomic.load<i32>(ctrl) == seen) {
        if (++spins > SPINS) memory.atomic.wait32(ctrl, seen, -1);
      }
      seen = atomic.load<i32>(ctrl);
      const kind = atomic.load<i32>(ctrl + 4);
      if (kind == 0) return;
      run(kind, ctrl + 8);
    }
  }
}
