#!/usr/bin/env python3
"""Golden fixtures from Hugging Face transformers for ScanLab's model tests.

Builds small random-init GPTNeoXForCausalLM, MambaForCausalLM and Mamba2ForCausalLM models (several
configurations, odd sizes included), perturbs the parameters that initialise to constants
(norm weights, biases, A_log, D) so every term matters, runs one batch, and writes for each
model an HDF5 file that is both a ScanLab checkpoint and a record of the expected results:

  /                 attributes format="scanlab.checkpoint", version=1, config=<config.json>
  /params/KEY       float32 parameters under every transformers state_dict key
  /golden/input_ids int64 [batch, seq]
  /golden/logits    float32 [batch, seq, vocab]
  /golden/loss      float32 scalar: mean next-token cross-entropy over batch×(seq−1)
  /golden/grads/KEY float32 gradient of that loss (tied keys carry the total gradient)

Run once after changing it, and commit the files (they are small):
  python3 -m venv .venv-torch && .venv-torch/bin/pip install "torch==2.13.0+cpu" transformers h5py
  .venv-torch/bin/python Scripts/make_golden_fixtures.py Tests/ModelsTests/Fixtures
"""
import sys
from pathlib import Path

import h5py
import numpy as np
import torch
from transformers import (GPTNeoXConfig, GPTNeoXForCausalLM, Mamba2Config, Mamba2ForCausalLM, MambaConfig,
                          MambaForCausalLM)

CONFIGS = {
    # Pythia-like: parallel residual, rotary on 25% of an 8-wide head (2 dims).
    "gpt_neox_small": (GPTNeoXConfig, dict(
        vocab_size=50, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
        rotary_pct=0.25, use_parallel_residual=True, max_position_embeddings=64), (2, 7)),
    # Odd sizes: head 10 with rotary 0.5 → 5 rotary dims (odd: rotated width 6), sequential residual.
    "gpt_neox_odd": (GPTNeoXConfig, dict(
        vocab_size=37, hidden_size=30, num_hidden_layers=3, num_attention_heads=3, intermediate_size=50,
        rotary_pct=0.5, rotary_emb_base=500.0, use_parallel_residual=False, max_position_embeddings=64), (3, 9)),
    "mamba_small": (MambaConfig, dict(
        vocab_size=50, hidden_size=32, num_hidden_layers=2, state_size=16, expand=2, conv_kernel=4,
        use_mambapy=False), (2, 9)),
    # Odd sizes: d_state 5, kernel 3, explicit time_step_rank, biases on the projections.
    "mamba_odd": (MambaConfig, dict(
        vocab_size=41, hidden_size=20, num_hidden_layers=3, state_size=5, expand=2, conv_kernel=3,
        time_step_rank=3, use_bias=True, use_conv_bias=True, use_mambapy=False), (3, 11)),
    # Mamba-2: 4 heads of 16 channels sharing one group's B and C.
    "mamba2_small": (Mamba2Config, dict(
        vocab_size=50, hidden_size=32, num_hidden_layers=2, state_size=16, expand=2, conv_kernel=4,
        num_heads=4, head_dim=16, n_groups=1, chunk_size=256), (2, 9)),
    # Odd sizes: head_dim 10, d_state 5, two groups (each norm group and B/C shared by two heads),
    # kernel 3, biases, a time_step_limit that clamps, tied embeddings, and chunk_size 4 so
    # transformers' chunked algorithm splits the sequence (and pads its last chunk).
    "mamba2_odd": (Mamba2Config, dict(
        vocab_size=41, hidden_size=20, num_hidden_layers=3, state_size=5, expand=2, conv_kernel=3,
        num_heads=4, head_dim=10, n_groups=2, use_bias=True, use_conv_bias=True,
        time_step_limit=(0.0, 0.1), tie_word_embeddings=True, chunk_size=4), (3, 11)),
}

MODELS = {GPTNeoXConfig: GPTNeoXForCausalLM, MambaConfig: MambaForCausalLM, Mamba2Config: Mamba2ForCausalLM}


def perturb(model, gen):
    """Gives constant-initialised parameters random values so the fixtures test them."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("bias") or "norm" in name or name.endswith(".D"):
                p.add_(0.1 * torch.randn(p.shape, generator=gen))
            if name.endswith("A_log"):
                p.add_(0.2 * torch.randn(p.shape, generator=gen))


def main(out_dir):
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for i, (name, (cls, kwargs, (batch, seq))) in enumerate(CONFIGS.items()):
        torch.manual_seed(1234 + i)
        gen = torch.Generator().manual_seed(99 + i)
        config = cls(**kwargs)
        model = MODELS[cls](config).float().eval()
        perturb(model, gen)
        ids = torch.randint(0, config.vocab_size, (batch, seq), generator=gen)
        result = model(input_ids=ids, labels=ids, use_cache=False)
        result.loss.backward()
        state = model.state_dict()
        with h5py.File(out / f"{name}.h5", "w") as f:
            f.attrs["format"] = "scanlab.checkpoint"
            f.attrs["version"] = np.int64(1)
            f.attrs["config"] = config.to_json_string()
            for key, value in state.items():
                if key.endswith((".attention.bias", ".attention.masked_bias", "inv_freq")):
                    continue
                f[f"params/{key}"] = value.detach().float().numpy()
                grad = model.get_parameter(key).grad
                f[f"golden/grads/{key}"] = (grad if grad is not None else torch.zeros_like(value)).float().numpy()
            f["golden/input_ids"] = ids.numpy().astype(np.int64)
            f["golden/logits"] = result.logits.detach().float().numpy()
            f["golden/loss"] = np.float32(result.loss.item())
        print(f"wrote {out / (name + '.h5')}: loss {result.loss.item():.6f}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "Tests/ModelsTests/Fixtures")
