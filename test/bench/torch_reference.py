#!/usr/bin/env python3
"""Reference figures from PyTorch (CPU) for the same character-level models.

Set-up (Debian):  apt-get install -y python3-torch libopenblas0-pthread
Run with Debian's python:  /usr/bin/python3 test/bench/torch_reference.py --help

Two modes, each prints one JSON line:
  throughput (default): --warmup untimed steps, then --steps timed ones on random tokens; tokens per
      second from the median over blocks of --block consecutive steps of each block's mean step time
      (the statistic npm run bench uses on its own side, where a block holds one gradient-map step).
  --corpus FILE --seconds N: train on FILE (first 90% train, last 10% validation)
      for N seconds of wall time, then report validation loss in nats per character.
"""
import argparse
import json
import os
import sys
import time

# torch.set_num_threads does not bound Debian's OpenBLAS, which otherwise starts a thread per core beside
# torch's own (2 x 2 threads on 2 cores ran 3-4x slower). Keep OpenBLAS to one thread, before torch loads
# it, and let --threads set torch's, so that "1 thread" means one core and "2" means two.
_t = sys.argv[sys.argv.index("--threads") + 1] if "--threads" in sys.argv[:-1] else "1"
os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ["OMP_NUM_THREADS"] = _t

import torch  # noqa: E402


def build(cell, vocab, hidden, layers):
    rnn = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[cell]
    core = rnn(vocab, hidden, num_layers=layers, batch_first=True)
    head = torch.nn.Linear(hidden, vocab)
    return core, head


def loss_of(core, head, eye, x, y, vocab):
    h, _ = core(eye[x])
    return torch.nn.functional.cross_entropy(head(h).reshape(-1, vocab), y.reshape(-1))


def train_step(core, head, opt, params, eye, x, y, vocab, clip):
    opt.zero_grad()
    loss = loss_of(core, head, eye, x, y, vocab)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, clip)
    opt.step()
    return loss.item()


def block_median(times, block):
    """Median over blocks of `block` consecutive steps of each block's mean (the bench's statistic)."""
    block = max(1, min(block, len(times)))
    means = sorted(sum(times[i:i + block]) / block for i in range(0, len(times) - block + 1, block))
    n = len(means)
    return means[n // 2] if n % 2 else (means[n // 2 - 1] + means[n // 2]) / 2


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--cell", default="lstm", choices=["lstm", "gru", "rnn"])
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--seq", type=int, default=64)
    p.add_argument("--vocab", type=int, default=65)
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--block", type=int, default=10)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--clip", type=float, default=1.0)
    p.add_argument("--corpus")
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)

    if a.corpus:
        text = open(a.corpus, encoding="utf-8").read()
        chars = sorted(set(text))
        a.vocab = len(chars)
        index = {c: i for i, c in enumerate(chars)}
        data = torch.tensor([index[c] for c in text], dtype=torch.long)
        split = int(len(data) * 0.9)
        train, val = data[:split], data[split:]

    eye = torch.eye(a.vocab)
    core, head = build(a.cell, a.vocab, a.hidden, a.layers)
    params = list(core.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=a.lr)

    if not a.corpus:
        x = torch.randint(0, a.vocab, (a.batch, a.seq))
        y = torch.randint(0, a.vocab, (a.batch, a.seq))
        for _ in range(a.warmup):
            train_step(core, head, opt, params, eye, x, y, a.vocab, a.clip)
        times = []
        for _ in range(a.steps):
            t0 = time.perf_counter()
            train_step(core, head, opt, params, eye, x, y, a.vocab, a.clip)
            times.append(time.perf_counter() - t0)
        dt = block_median(times, a.block)
        print(json.dumps({"engine": "pytorch " + torch.__version__, "cell": a.cell, "hidden": a.hidden,
                          "layers": a.layers, "batch": a.batch, "seq": a.seq, "vocab": a.vocab,
                          "threads": a.threads, "warmup": a.warmup, "steps": a.steps, "block": a.block,
                          "ms_per_step": round(dt * 1000, 2),
                          "tokens_per_s": round(a.batch * a.seq / dt)}))
        return

    t0 = time.perf_counter()
    steps = 0
    while time.perf_counter() - t0 < a.seconds:
        starts = torch.randint(0, len(train) - a.seq - 1, (a.batch,))
        x = torch.stack([train[s:s + a.seq] for s in starts])
        y = torch.stack([train[s + 1:s + a.seq + 1] for s in starts])
        train_step(core, head, opt, params, eye, x, y, a.vocab, a.clip)
        steps += 1
    with torch.no_grad():
        n = (len(val) - 1) // a.seq * a.seq
        x = val[:n].reshape(-1, a.seq)
        y = val[1:n + 1].reshape(-1, a.seq)
        val_loss = loss_of(core, head, eye, x, y, a.vocab).item()
    print(json.dumps({"engine": "pytorch " + torch.__version__, "cell": a.cell, "hidden": a.hidden,
                      "layers": a.layers, "batch": a.batch, "seq": a.seq, "vocab": a.vocab,
                      "seconds": a.seconds, "steps": steps, "tokens_seen": steps * a.batch * a.seq,
                      "val_loss_nats": round(val_loss, 4)}))


if __name__ == "__main__":
    main()
