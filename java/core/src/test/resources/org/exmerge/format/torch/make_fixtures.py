#!/usr/bin/env python3
"""Writes the torch checkpoints the format tests read, each beside a safetensors twin.

Run with a Python that has torch (made with torch 1.13): python3 make_fixtures.py
The tests never need torch: the files this writes are committed. Each twin is written by hand
(8-byte little-endian header length, JSON header padded with spaces, raw bytes) and holds the same
tensors, contiguous, so a test can compare names, dtypes, shapes and bytes.
"""
import collections
import io
import json
import os
import struct
import zipfile

import torch

HERE = os.path.dirname(os.path.abspath(__file__))

DTYPES = {
    torch.float64: ("F64", "<f8"), torch.float32: ("F32", "<f4"), torch.float16: ("F16", "<f2"),
    torch.bfloat16: ("BF16", None), torch.int64: ("I64", "<i8"), torch.int32: ("I32", "<i4"),
    torch.int16: ("I16", "<i2"), torch.int8: ("I8", "i1"), torch.uint8: ("U8", "u1"), torch.bool: ("BOOL", "?"),
}


def raw(t):
    """The tensor's bytes, contiguous, little-endian."""
    t = t.detach().contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().astype("<i2").tobytes()
    return t.numpy().astype(DTYPES[t.dtype][1]).tobytes()


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        b = raw(tensors[name])
        header[name] = {"dtype": DTYPES[tensors[name].dtype][0], "shape": list(tensors[name].shape),
                        "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-(8 + len(text)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def at(name):
    path = os.path.join(HERE, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return path


def mixed():
    """Every storage type, a scalar, an empty tensor, shared storages, an offset view, strided views, a Parameter."""
    g = torch.Generator().manual_seed(1)
    big = torch.randn(4, 6, generator=g)
    tied = torch.randn(3, 2, generator=g).to(torch.float16)
    sd = collections.OrderedDict()
    sd["bf16.matrix"] = torch.randn(3, 5, generator=g).to(torch.bfloat16)
    sd["f16.vector"] = torch.randn(7, generator=g).to(torch.float16)
    sd["f32.cube"] = torch.randn(2, 3, 4, generator=g)
    sd["f64.square"] = torch.randn(2, 2, generator=g).to(torch.float64)
    sd["i64.ids"] = torch.arange(3, dtype=torch.int64) - 1
    sd["i32.v"] = torch.tensor([1, -2, 300000], dtype=torch.int32)
    sd["i16.v"] = torch.tensor([-5, 7], dtype=torch.int16)
    sd["i8.v"] = torch.tensor([-128, 127, 0], dtype=torch.int8)
    sd["u8.bytes"] = torch.randint(0, 256, (4, 2), generator=g, dtype=torch.uint8)
    sd["bool.mask"] = torch.tensor([True, False, True, True, False])
    sd["scalar"] = torch.tensor(3.25)
    sd["empty"] = torch.zeros(0, 3)
    sd["tied.a"] = tied
    sd["tied.b"] = tied
    sd["view.rows"] = big[1:3]
    sd["transposed"] = torch.randn(4, 6, generator=g).t()
    sd["expanded"] = torch.randn(3, generator=g).expand(2, 3)
    sd["param"] = torch.nn.Parameter(torch.randn(2, 2, generator=g))
    assert not sd["transposed"].is_contiguous() and sd["view.rows"].storage_offset() == 6
    return sd


def rezip(src, dst):
    """src's entries under the prefix 'archive' (as torch 2 names it), with a byteorder entry and
    ZIP64 extra fields in the local headers: another writer's layout, data not 64-byte aligned."""
    with zipfile.ZipFile(src) as z, zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as out:
        for info in z.infolist():
            name = "archive/" + info.filename.split("/", 1)[1]
            with out.open(name, "w", force_zip64=True) as f:
                f.write(z.read(info))
        with out.open("archive/byteorder", "w", force_zip64=True) as f:
            f.write(b"little")


def legacy_with_unaligned_floats(path, sd):
    """The legacy format, saved until some float storage starts at an odd offset (storage keys are
    memory addresses, so the pickles' length, and the offsets after them, vary between saves)."""
    for _ in range(100):
        sd = collections.OrderedDict((k, v.clone()) for k, v in sd.items())
        buf = io.BytesIO()
        torch.save(sd, buf, _use_new_zipfile_serialization=False)
        data = buf.getvalue()
        odd = [k for k, v in sd.items() if v.is_floating_point() and v.numel() > 1 and data.find(raw(v)) % 2 == 1]
        if odd:
            with open(path, "wb") as f:
                f.write(data)
            return sd
    raise SystemExit("no save put a float storage at an odd offset")


def main():
    torch.manual_seed(0)
    sd = mixed()
    torch.save(sd, at("mixed.bin"))
    torch.save(sd, at("mixed-legacy.bin"), _use_new_zipfile_serialization=False)
    rezip(at("mixed.bin"), at("mixed-archive.bin"))
    write_safetensors(at("mixed.safetensors"), sd)

    module = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.LayerNorm(3)).to(torch.bfloat16)
    state = module.state_dict()
    assert hasattr(state, "_metadata")
    torch.save(state, at("module.bin"))
    write_safetensors(at("module.safetensors"), state)

    shards = [collections.OrderedDict((k, sd[k]) for k in ["bf16.matrix", "tied.a", "transposed"]),
              collections.OrderedDict((k, sd[k]) for k in ["f32.cube", "scalar", "tied.b"])]
    weight_map = {}
    for i, shard in enumerate(shards):
        name = "pytorch_model-%05d-of-%05d.bin" % (i + 1, len(shards))
        torch.save(shard, at("sharded/" + name))
        weight_map.update({k: name for k in shard})
    with open(at("sharded/pytorch_model.bin.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": 0}, "weight_map": weight_map}, f, indent=2, sort_keys=True)
    write_safetensors(at("sharded.safetensors"), collections.OrderedDict(p for s in shards for p in s.items()))

    # Three models to merge: a zip file, a legacy file with unaligned floats, two shards with a
    # transposed tensor; their twins under merge-st/.
    g = torch.Generator().manual_seed(2)
    base = collections.OrderedDict()
    base["model.layers.0.mlp.weight"] = (torch.randn(24, 40, generator=g) * 0.02).to(torch.bfloat16)
    base["model.layers.0.attn.weight"] = (torch.randn(40, 24, generator=g) * 0.02).to(torch.float16)
    base["model.norm.weight"] = torch.ones(24) + torch.randn(24, generator=g) * 0.01
    models = {"base": base}
    for m in ["sft1", "sft2"]:
        models[m] = collections.OrderedDict(
            (k, (v.float() + torch.randn(v.shape, generator=g) * 0.005).to(v.dtype)) for k, v in base.items())
    torch.save(models["base"], at("merge/base/pytorch_model.bin"))
    models["sft1"] = legacy_with_unaligned_floats(at("merge/sft1/pytorch_model.bin"), models["sft1"])
    sft2 = models["sft2"]
    sft2["model.layers.0.attn.weight"] = sft2["model.layers.0.attn.weight"].t().contiguous().t()
    assert not sft2["model.layers.0.attn.weight"].is_contiguous()
    names = ["pytorch_model-00001-of-00002.bin", "pytorch_model-00002-of-00002.bin"]
    keys = list(sft2)
    torch.save(collections.OrderedDict((k, sft2[k]) for k in keys[:1]), at("merge/sft2/" + names[0]))
    torch.save(collections.OrderedDict((k, sft2[k]) for k in keys[1:]), at("merge/sft2/" + names[1]))
    with open(at("merge/sft2/pytorch_model.bin.index.json"), "w") as f:
        json.dump({"metadata": {}, "weight_map": {k: names[0 if i < 1 else 1] for i, k in enumerate(keys)}}, f,
                  indent=2, sort_keys=True)
    for m, tensors in models.items():
        write_safetensors(at("merge-st/%s/model.safetensors" % m), tensors)


if __name__ == "__main__":
    main()
