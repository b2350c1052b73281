#!/usr/bin/env python3
"""The torch anchor: a merge written the way a Python user (or mergekit) writes it, tensor by tensor.

Each tensor of every model is read (zero-copy from an mmap, as safetensors' safe_open does), widened
to float32, merged with torch ops, cast back to the base's dtype and written to one output
safetensors file. It is the yardstick bench/run-vs-torch.sh holds exmerge against; it makes no claim
to bit-equality with exmerge (torch's reductions and kthvalue differ in the last bits).

    merge_torch.py METHOD OUT BASE MODEL1 MODEL2 [--alpha 0.5,0.1] [--beta 0.1] [--density 0.2] [--seed 0]

METHOD: exme | task_arithmetic | ties | dare_ties. MODEL paths are directories with model.safetensors.
"""
import argparse
import json
import mmap
import os
import struct
import sys
import time
import warnings

import torch

warnings.filterwarnings("ignore", message="The given buffer is not writable")

DTYPES = {"BF16": torch.bfloat16, "F16": torch.float16, "F32": torch.float32}
NAMES = {v: k for k, v in DTYPES.items()}


class SafetensorsFile:
    def __init__(self, path):
        if os.path.isdir(path):
            path = os.path.join(path, "model.safetensors")
        self.f = open(path, "rb")
        self.mm = mmap.mmap(self.f.fileno(), 0, access=mmap.ACCESS_READ)
        n = struct.unpack("<Q", self.mm[:8])[0]
        self.header = json.loads(self.mm[8:8 + n])
        self.header.pop("__metadata__", None)
        self.start = 8 + n

    def names(self):
        return sorted(self.header)

    def tensor(self, name):
        e = self.header[name]
        b, end = e["data_offsets"]
        buf = memoryview(self.mm)[self.start + b:self.start + end]
        t = torch.frombuffer(buf, dtype=DTYPES[e["dtype"]]) if end > b else torch.empty(0, dtype=DTYPES[e["dtype"]])
        return t.reshape(e["shape"])


def write_safetensors(path, tensors, sync=True):
    header, offset = {}, 0
    for name, t in tensors:
        n = t.numel() * t.element_size()
        header[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + n]}
        offset += n
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for _, t in tensors:
            f.write(t.contiguous().view(torch.uint8).numpy().tobytes() if t.numel() else b"")
        f.flush()
        if sync:
            os.fsync(f.fileno())


def ties_trim(tau, density):
    k = int(density * tau.numel())
    if k <= 0:
        return torch.zeros_like(tau)
    if k >= tau.numel():
        return tau
    threshold = tau.abs().flatten().kthvalue(tau.numel() - k + 1).values
    return tau * (tau.abs() >= threshold)


def merge(method, base, xs, args, name, seed):
    b = base.float()
    if method == "exme":
        w = [args.beta * (1 + args.alpha[0]), (1 - args.beta) * (1 + args.alpha[1])]
        return b + sum(wi * (x.float() - b) for wi, x in zip(w, xs))
    if method == "task_arithmetic":
        return b + sum(x.float() - b for x in xs)
    taus = [x.float() - b for x in xs]
    if method == "ties":
        taus = [ties_trim(t, args.density) for t in taus]
    elif method == "dare_ties":
        g = torch.Generator().manual_seed(seed + hash(name) % 1000003)
        taus = [t * (torch.rand(t.shape, generator=g) < args.density) / args.density for t in taus]
    stacked = torch.stack(taus)
    sign = torch.sign(stacked.sum(0))
    sign[sign == 0] = 1
    agree = torch.sign(stacked) == sign
    summed = (stacked * agree).sum(0)
    if method == "ties":
        summed = summed / agree.sum(0).clamp(min=1)
    return b + summed


def main():
    p = argparse.ArgumentParser()
    p.add_argument("method", choices=["exme", "task_arithmetic", "ties", "dare_ties"])
    p.add_argument("out")
    p.add_argument("base")
    p.add_argument("models", nargs=2)
    p.add_argument("--alpha", default="0.5,0.1", type=lambda s: [float(v) for v in s.split(",")])
    p.add_argument("--beta", default=0.1, type=float)
    p.add_argument("--density", default=0.2, type=float)
    p.add_argument("--seed", default=0, type=int)
    p.add_argument("--no-sync", action="store_true", help="skip the fsync (as exmerge --no-sync)")
    args = p.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    t0 = time.perf_counter()
    base = SafetensorsFile(args.base)
    xs = [SafetensorsFile(m) for m in args.models]
    out = []
    for name in base.names():
        bt = base.tensor(name)
        if bt.dtype not in (torch.bfloat16, torch.float16, torch.float32):
            out.append((name, bt.clone()))
            continue
        merged = merge(args.method, bt, [x.tensor(name) for x in xs], args, name, args.seed)
        out.append((name, merged.to(bt.dtype)))
    os.makedirs(args.out, exist_ok=True)
    write_safetensors(os.path.join(args.out, "model.safetensors"), out, sync=not args.no_sync)
    print(f"torch {args.method}: {len(out)} tensors in {time.perf_counter() - t0:.2f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
