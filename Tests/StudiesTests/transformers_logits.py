#!/usr/bin/env python3
"""Test helper: loads a transformers model folder (and its tokenizer, if any) and prints, as
JSON, the logits at the last position for the token ids given, and how the tokenizer encodes
the token names given.  Usage: transformers_logits.py MODEL_DIR REQUEST.json"""
import json
import sys

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

model_dir, request = sys.argv[1], json.load(open(sys.argv[2]))
model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
ids = torch.tensor(request["ids"], dtype=torch.long)
with torch.no_grad():
    logits = model(input_ids=ids, use_cache=False).logits[:, -1, :]
result = {"logits": logits.tolist(), "vocab_size": model.config.vocab_size}
if request.get("names"):
    tok = AutoTokenizer.from_pretrained(model_dir)
    result["encoded"] = tok(" ".join(request["names"]), add_special_tokens=False)["input_ids"]
print(json.dumps(result))
