#!/usr/bin/env python3
"""PyTorch CPU reference for Mamba-2: one training step of transformers' Mamba2ForCausalLM on
the retrieval task, the way shared/anchors/torch_train_step.py times Pythia and Mamba (same
batches, vocabulary, head at the answer only, AdamW; JSON with the anchor's field names), so
`scanlab bench train --model mamba2` can be held beside it (Scripts/bench-vs-pytorch --model mamba2).

Tiny shape (ScanLab's tiny Mamba-2): hidden 128, 4 layers, d_state 16, expand 2, conv 4,
8 heads of head_dim 32, 1 group; vocabulary 3 + 2L. transformers runs its PyTorch path (the
chunked SSD in torch ops, chunk_size 256) on CPU: mamba_ssm's kernels are CUDA-only.

  .venv-torch/bin/python Scripts/torch_train_step_mamba2.py --L 50 [--threads 2] [--steps 10] [--json out.json]
"""
import argparse, json, resource, statistics, time

import torch
import torch.nn.functional as F
from transformers import Mamba2Config, Mamba2ForCausalLM


def make_batch(B, L, variant, gen):
    """The anchor's batches: ids 0 pad, 1 bos, 2 query, 3… content, 3 + L… positions."""
    perm = torch.rand(B, L, generator=gen).argsort(dim=1) + 3
    pos = torch.randint(0, L, (B,), generator=gen)
    cq = perm.gather(1, pos[:, None])
    bos, qry = torch.full((B, 1), 1, dtype=torch.long), torch.full((B, 1), 2, dtype=torch.long)
    ids = torch.cat([bos, perm, qry, cq], 1) if variant == "suffix" else torch.cat([qry, cq, bos, perm], 1)
    return ids, 3 + L + pos


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--L", type=int, default=50)
    p.add_argument("--variant", choices=["suffix", "prefix"], default="suffix")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--json", default=None)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    V = 3 + 2 * a.L
    m = Mamba2ForCausalLM(Mamba2Config(vocab_size=V, hidden_size=128, num_hidden_layers=4, state_size=16, expand=2,
                                       conv_kernel=4, num_heads=8, head_dim=32, n_groups=1)).train()
    opt = torch.optim.AdamW(m.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(1)
    batches = [make_batch(a.batch, a.L, a.variant, gen) for _ in range(a.warmup + a.steps)]
    times = []
    for i, (ids, tgt) in enumerate(batches):
        t0 = time.perf_counter()
        logits = m(input_ids=ids, use_cache=False, logits_to_keep=1).logits[:, -1, :]
        F.cross_entropy(logits, tgt).backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        if i >= a.warmup:
            times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    res = {"impl": "pytorch", "model": "mamba2", "size": "tiny", "L": a.L, "variant": a.variant, "batch": a.batch,
           "micro_batch": a.batch, "threads": a.threads, "vocab": V, "params": sum(q.numel() for q in m.parameters()),
           "ms_per_step_median": med * 1e3, "ms_per_step_min": min(times) * 1e3,
           "tokens_per_s": a.batch * (a.L + 3) / med, "steps_timed": len(times),
           "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    print(json.dumps(res))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f)


if __name__ == "__main__":
    main()
