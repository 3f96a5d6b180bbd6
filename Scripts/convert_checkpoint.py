#!/usr/bin/env python3
"""Convert between a Hugging Face transformers model folder and a ScanLab checkpoint.

  convert_checkpoint.py to-scanlab MODEL_DIR OUT.h5   # config.json + *.safetensors (or pytorch_model.bin)
  convert_checkpoint.py to-hf IN.h5 OUT_DIR [--tokenizer DIR] [--layout tokens.json]
                                                      # writes config.json + model.safetensors

A fine-tuned run's checkpoint holds the extended vocabulary (the pretrained rows, then the
task's tokens); to-hf writes it as it is, so transformers loads the extended model. With
--tokenizer DIR it also writes DIR's tokenizer with the task's tokens added at the ids of the
run's token layout (--layout, default: the tokens.json of the run folder the checkpoint is
in). Tokenizers number added tokens consecutively, and a pretrained vocabulary has more rows
than its tokenizer has tokens (Pythia: 50277 tokens, 50304 rows), so the rows in between are
filled with unused special tokens <|scanlab_unused_K|>: then tokenizer ids equal model rows.

Needs h5py, numpy and safetensors (torch only for pytorch_model.bin; transformers for --tokenizer).
Pretrained Pythia, Mamba or Mamba-2 weights, e.g. with huggingface_hub on a machine that can reach the hub:
  huggingface-cli download EleutherAI/pythia-160m --local-dir pythia-160m
  python3 Scripts/convert_checkpoint.py to-scanlab pythia-160m Data/pythia-160m.h5
  scanlab train --model pythia --length 50 --init-from Data/pythia-160m.h5 ...
"""
import argparse
import json
import sys
from pathlib import Path

import h5py
import numpy as np

# Buffers some checkpoints carry that are not parameters.
SKIP_SUFFIXES = (".attention.bias", ".attention.masked_bias", ".rotary_emb.inv_freq")
# Keys older transformers versions wrote, as today's names.
LEGACY = {"embed_out.weight": "lm_head.weight"}


def text(value) -> str:
    """An HDF5 string attribute as str: ScanLab writes fixed-length UTF-8 (h5py gives bytes),
    h5py and older ScanLab files variable-length (str)."""
    return value.decode("utf-8") if isinstance(value, bytes) else value


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


# model_type → whether lm_head is tied to the embeddings when config.json does not say.
TIED_BY_DEFAULT = {"gpt_neox": False, "mamba": True, "mamba2": False}


def tied(config: dict) -> bool:
    return bool(config.get("tie_word_embeddings", TIED_BY_DEFAULT[config["model_type"]]))


def to_scanlab(model_dir: str, out: str) -> None:
    model_dir = Path(model_dir)
    config_text = (model_dir / "config.json").read_text()
    config = json.loads(config_text)
    if config.get("model_type") not in TIED_BY_DEFAULT:
        sys.exit(f"{model_dir}/config.json: model_type {config.get('model_type')!r} is not gpt_neox, mamba or mamba2")
    state = load_state(model_dir)
    if tied(config) and "lm_head.weight" not in state:
        state["lm_head.weight"] = state["backbone.embeddings.weight"]   # tied: listed under both keys
    with h5py.File(out, "w") as f:
        f.attrs["format"] = "scanlab.checkpoint"
        f.attrs["version"] = np.int64(1)
        f.attrs["config"] = config_text
        for key, value in state.items():
            f[f"params/{key}"] = np.asarray(value, dtype=np.float32)
    print(f"wrote {out}: {len(state)} tensors")


def to_hf(checkpoint: str, out_dir: str, tokenizer_dir: str = None, layout_path: str = None) -> None:
    from safetensors.numpy import save_file
    out = Path(out_dir)
    with h5py.File(checkpoint, "r") as f:
        if text(f.attrs.get("format")) != "scanlab.checkpoint":
            sys.exit(f"{checkpoint}: not a ScanLab checkpoint (attribute format is {f.attrs.get('format')!r})")
        config_text = text(f.attrs["config"])
        config = json.loads(config_text)
        state = {key: f["params"][key][()] for key in f["params"]}
    if config["model_type"] not in TIED_BY_DEFAULT:
        sys.exit(f"{checkpoint}: model_type {config['model_type']!r} has no transformers class "
                 "(a ScanLab hybrid stays a ScanLab checkpoint)")
    if tied(config):
        state.pop("lm_head.weight", None)   # transformers ties it to the embeddings
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(config_text)
    save_file({k: np.ascontiguousarray(v) for k, v in state.items()}, str(out / "model.safetensors"),
              metadata={"format": "pt"})
    print(f"wrote {out}/config.json and model.safetensors: {len(state)} tensors, vocabulary {config['vocab_size']}")
    if tokenizer_dir:
        layout = Path(layout_path) if layout_path else Path(checkpoint).resolve().parent.parent / "tokens.json"
        if not layout.exists():
            sys.exit(f"{layout}: no token layout (a run folder's tokens.json); name it with --layout")
        extend_tokenizer(Path(tokenizer_dir), json.loads(layout.read_text()), config["vocab_size"], out)


def extend_tokenizer(tokenizer_dir: Path, layout: dict, vocab_size: int, out: Path) -> None:
    """DIR's tokenizer with the layout's tokens at their ids, saved into `out`."""
    from transformers import AutoTokenizer
    if layout.get("format") != "scanlab.token_layout":
        sys.exit(f"token layout: format is {layout.get('format')!r}, not scanlab.token_layout")
    if layout["vocab_size"] != vocab_size:
        sys.exit(f"token layout has {layout['vocab_size']} ids but the checkpoint's vocabulary has {vocab_size} rows")
    base = layout["base_vocabulary"]
    if base == 0:
        sys.exit("the run uses the compact from-scratch vocabulary; there is no pretrained tokenizer to extend")
    tok = AutoTokenizer.from_pretrained(str(tokenizer_dir))
    if len(tok) > base:
        sys.exit(f"{tokenizer_dir}: the tokenizer has {len(tok)} tokens, more than the model's {base} pretrained rows")
    fillers = [f"<|scanlab_unused_{i}|>" for i in range(len(tok), base)]
    names = sorted(layout["tokens"], key=layout["tokens"].get)
    tok.add_tokens(fillers + names, special_tokens=True)
    wrong = [(n, tok.convert_tokens_to_ids(n), layout["tokens"][n]) for n in names
             if tok.convert_tokens_to_ids(n) != layout["tokens"][n]]
    if wrong:
        sys.exit(f"tokenizer ids differ from the layout, e.g. {wrong[0][0]}: {wrong[0][1]} against {wrong[0][2]}")
    tok.save_pretrained(str(out))
    print(f"wrote the tokenizer to {out}: {len(fillers)} unused fillers, {len(names)} task tokens "
          f"({names[0]} = {layout['tokens'][names[0]]} … {names[-1]} = {layout['tokens'][names[-1]]})")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    a = sub.add_parser("to-scanlab", help="a transformers model folder to a ScanLab checkpoint")
    a.add_argument("model_dir")
    a.add_argument("out")
    b = sub.add_parser("to-hf", help="a ScanLab checkpoint to a transformers model folder")
    b.add_argument("checkpoint")
    b.add_argument("out_dir")
    b.add_argument("--tokenizer", help="a tokenizer folder to extend with the run's task tokens")
    b.add_argument("--layout", help="the run's tokens.json (default: beside the checkpoints folder)")
    args = p.parse_args()
    if args.command == "to-scanlab":
        to_scanlab(args.model_dir, args.out)
    else:
        to_hf(args.checkpoint, args.out_dir, args.tokenizer, args.layout)


if __name__ == "__main__":
    main()
