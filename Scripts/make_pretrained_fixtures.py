#!/usr/bin/env python3
"""Stand-ins for pretrained checkpoints, for the tests of the paper's setup (no download).

Writes, for each family, a transformers model folder as `save_pretrained` leaves it
(config.json, model.safetensors) with random weights at small odd shapes and a vocabulary
of a pretrained size's shape (a few hundred rows, more than the tokenizer uses, as Pythia
pads 50277 tokens to 50304 rows), plus a tokenizer (tokenizer.json: a word-level vocabulary
whose last entries are special tokens, like GPT-NeoX's <|endoftext|>):

  OUT/pythia/   GPTNeoXForCausalLM  vocab 301 (tokenizer 290), hidden 18, 2 layers, 3 heads
  OUT/mamba/    MambaForCausalLM    vocab 293 (tokenizer 290), hidden 14, 2 layers, d_state 5
  OUT/mamba2/   Mamba2ForCausalLM   vocab 297 (tokenizer 290), hidden 16, 2 layers, d_state 5,
                4 heads of 8 in 2 groups

Run once after changing it, and commit the folders (about 100 kB):
  .venv-torch/bin/python Scripts/make_pretrained_fixtures.py Tests/StudiesTests/Fixtures

Published shapes at full size for benchmarks and for trying the conversion end to end
(random weights; not committed, not used by the tests):
  .venv-torch/bin/python Scripts/make_pretrained_fixtures.py --published pythia-160m Data/pythia-160m-random
"""
import argparse
import sys
from pathlib import Path

import torch
from tokenizers import Tokenizer, models, pre_tokenizers
from transformers import (GPTNeoXConfig, GPTNeoXForCausalLM, Mamba2Config, Mamba2ForCausalLM, MambaConfig,
                          MambaForCausalLM, PreTrainedTokenizerFast)

from make_golden_fixtures import perturb   # constant-initialised parameters made random, as pretraining would

FIXTURES = {
    "pythia": (GPTNeoXConfig, GPTNeoXForCausalLM, dict(
        vocab_size=301, hidden_size=18, num_hidden_layers=2, num_attention_heads=3, intermediate_size=30,
        rotary_pct=0.25, use_parallel_residual=True, max_position_embeddings=64, tie_word_embeddings=False)),
    "mamba": (MambaConfig, MambaForCausalLM, dict(
        vocab_size=293, hidden_size=14, num_hidden_layers=2, state_size=5, expand=2, conv_kernel=4,
        use_mambapy=False)),
    "mamba2": (Mamba2Config, Mamba2ForCausalLM, dict(
        vocab_size=297, hidden_size=16, num_hidden_layers=2, state_size=5, expand=2, conv_kernel=4,
        num_heads=4, head_dim=8, n_groups=2, tie_word_embeddings=False)),
}
TOKENIZER_WORDS = 290

# The published configurations (EleutherAI/pythia-*, state-spaces/mamba-*-hf config.json).
PUBLISHED = {
    "pythia-14m": (128, 6, 4), "pythia-70m": (512, 6, 8), "pythia-160m": (768, 12, 12),
    "pythia-410m": (1024, 24, 16), "pythia-1b": (2048, 16, 8), "pythia-1.4b": (2048, 24, 16),
    "mamba-130m": (768, 24), "mamba-370m": (1024, 48), "mamba-790m": (1536, 48), "mamba-1.4b": (2048, 48),
}


def tokenizer(words: int) -> PreTrainedTokenizerFast:
    vocab = {f"w{i}": i for i in range(words - 1)}
    vocab["<|endoftext|>"] = words - 1
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<|endoftext|>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<|endoftext|>", eos_token="<|endoftext|>",
                                   unk_token="<|endoftext|>")


def published(name: str, out: Path) -> None:
    torch.manual_seed(0)
    if name.startswith("pythia"):
        h, layers, heads = PUBLISHED[name]
        model = GPTNeoXForCausalLM(GPTNeoXConfig(
            vocab_size=50304, hidden_size=h, num_hidden_layers=layers, num_attention_heads=heads,
            intermediate_size=4 * h, rotary_pct=0.25, use_parallel_residual=True, max_position_embeddings=2048,
            tie_word_embeddings=False))
    else:
        h, layers = PUBLISHED[name]
        model = MambaForCausalLM(MambaConfig(vocab_size=50280, hidden_size=h, num_hidden_layers=layers, state_size=16,
                                             expand=2, conv_kernel=4))
    model.save_pretrained(out)
    print(f"wrote {out}: {name} with random weights")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out")
    p.add_argument("--published", choices=sorted(PUBLISHED), help="one published shape at full size instead")
    a = p.parse_args()
    out = Path(a.out)
    if a.published:
        return published(a.published, out)
    for i, (family, (config_cls, model_cls, kwargs)) in enumerate(FIXTURES.items()):
        torch.manual_seed(4321 + i)
        gen = torch.Generator().manual_seed(17 + i)
        model = model_cls(config_cls(**kwargs)).float()
        perturb(model, gen)
        folder = out / family
        model.save_pretrained(folder)
        tokenizer(TOKENIZER_WORDS).save_pretrained(folder)
        print(f"wrote {folder}: vocab {kwargs['vocab_size']}, tokenizer {TOKENIZER_WORDS}")


if __name__ == "__main__":
    sys.exit(main())
