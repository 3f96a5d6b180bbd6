"""Reads a ScanLab run's TensorBoard event files with TensorBoard's own reader (the tensorboard
package from PyPI) and prints every scalar and text summary as JSON:
{"scalars": {tag: [[step, value], ...]}, "text": {tag: [markdown, ...]}}.
Usage: tensorboard_scalars.py <run>/tensorboard"""
import json, sys
from tensorboard.backend.event_processing import event_accumulator as ea
acc = ea.EventAccumulator(sys.argv[1], size_guidance={ea.SCALARS: 0, ea.TENSORS: 0})
acc.Reload()
tags = acc.Tags()
out = {"scalars": {t: [[e.step, e.value] for e in acc.Scalars(t)] for t in tags["scalars"]},
       "text": {t: [e.tensor_proto.string_val[0].decode() for e in acc.Tensors(t)] for t in tags["tensors"]}}
print(json.dumps(out))
