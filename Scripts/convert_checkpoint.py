#!/usr/bin/env python3
"""Convert between a Hugging Face transformers model folder and a ScanLab checkpoint.

  convert_checkpoint.py to-scanlab MODEL_DIR OUT.h5   # config.json + *.safetensors (or pytorch_model.bin)
  convert_checkpoint.py to-hf IN.h5 OUT_DIR           # writes config.json + model.safetensors

Needs h5py, numpy and safetensors (torch only for pytorch_model.bin); ScanLab's tests do not.
Pretrained Pythia or Mamba weights, e.g. with huggingface_hub on a machine that can reach the hub:
  huggingface-cli download EleutherAI/pythia-160m --local-dir pythia-160m
  python3 Scripts/convert_checkpoint.py to-scanlab pythia-160m Data/pythia-160m.h5
  scanlab train --model pythia --length 50 --init-from Data/pythia-160m.h5 ...
"""
import json
import sys
from pathlib import Path

import h5py
import numpy as np

# Buffers some checkpoints carry that are not parameters.
SKIP_SUFFIXES = (".attention.bias", ".attention.masked_bias", ".rotary_emb.inv_freq")
# Keys older transformers versions wrote, as today's names.
LEGACY = {"embed_out.weight": "lm_head.weight"}


def load_state(model_dir: Path) -> dict:
    files = sorted(model_dir.glob("*.safetensors"))
    state = {}
    if files:
        from safetensors.numpy import load_file
        for f in files:
            state.update(load_file(str(f)))
    elif (model_dir / "pytorch_model.bin").exists():
        import torch
        for k, v in torch.load(model_dir / "pytorch_model.bin", map_location="cpu").items():
            state[k] = v.float().numpy()
    else:
        sys.exit(f"{model_dir}: no *.safetensors or pytorch_model.bin")
    return {LEGACY.get(k, k): v for k, v in state.items() if not k.endswith(SKIP_SUFFIXES)}


def to_scanlab(model_dir: str, out: str) -> None:
    model_dir = Path(model_dir)
    config_text = (model_dir / "config.json").read_text()
    config = json.loads(config_text)
    if config.get("model_type") not in ("gpt_neox", "mamba"):
        sys.exit(f"{model_dir}/config.json: model_type {config.get('model_type')!r} is not gpt_neox or mamba")
    state = load_state(model_dir)
    if config["model_type"] == "mamba" and "lm_head.weight" not in state:
        state["lm_head.weight"] = state["backbone.embeddings.weight"]   # tied: listed under both keys
    with h5py.File(out, "w") as f:
        f.attrs["format"] = "scanlab.checkpoint"
        f.attrs["version"] = np.int64(1)
        f.attrs["config"] = config_text
        for key, value in state.items():
            f[f"params/{key}"] = np.asarray(value, dtype=np.float32)
    print(f"wrote {out}: {len(state)} tensors")


def to_hf(checkpoint: str, out_dir: str) -> None:
    from safetensors.numpy import save_file
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with h5py.File(checkpoint, "r") as f:
        if f.attrs.get("format") != "scanlab.checkpoint":
            sys.exit(f"{checkpoint}: not a ScanLab checkpoint (attribute format is {f.attrs.get('format')!r})")
        config_text = f.attrs["config"]
        config = json.loads(config_text)
        state = {key: f["params"][key][()] for key in f["params"]}
    if config["model_type"] == "mamba":
        state.pop("lm_head.weight", None)   # transformers ties it to the embeddings
    (out / "config.json").write_text(config_text)
    save_file({k: np.ascontiguousarray(v) for k, v in state.items()}, str(out / "model.safetensors"),
              metadata={"format": "pt"})
    print(f"wrote {out}/config.json and model.safetensors: {len(state)} tensors")


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in ("to-scanlab", "to-hf"):
        sys.exit(__doc__)
    (to_scanlab if sys.argv[1] == "to-scanlab" else to_hf)(sys.argv[2], sys.argv[3])
