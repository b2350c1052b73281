# Torch twins of synth models (OUT/bin/{base,sft-1,sft-2}/pytorch_model.bin) and a LoRA adapter on sft-1
# (OUT/lora: r=16 on every linear weight of the layers), for docs/benchmarks.md's eighteenth session.
# Usage: /usr/bin/python3 bench/anchors/torch_twins.py MODELS OUT   (Debian's python3-torch)
import json, struct, os, sys, shutil
import torch
src, out = sys.argv[1], sys.argv[2]
def read_st(path):
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        h = json.loads(f.read(n)); data = f.read()
    dt = {'BF16': torch.bfloat16, 'F32': torch.float32, 'F16': torch.float16}
    res = {}
    for k, v in h.items():
        if k == '__metadata__': continue
        b, e = v['data_offsets']
        res[k] = torch.frombuffer(bytearray(data[b:e]), dtype=dt[v['dtype']]).reshape(v['shape']) if e > b else torch.empty(v['shape'], dtype=dt[v['dtype']])
    return res
for m in ['base', 'sft-1', 'sft-2']:
    d = os.path.join(out, 'bin', m); os.makedirs(d, exist_ok=True)
    for f in os.listdir(os.path.join(src, m)):
        if f != 'model.safetensors': shutil.copy(os.path.join(src, m, f), d)
    sd = read_st(os.path.join(src, m, 'model.safetensors'))
    torch.save(sd, os.path.join(d, 'pytorch_model.bin'))
    if m == 'sft-1':
        g = torch.Generator().manual_seed(0); r = 16; ad = {}
        for k, w in sd.items():
            if w.dim() == 2 and '.layers.' in k:
                mod = k[:-len('.weight')]
                ad['base_model.model.' + mod + '.lora_A.weight'] = (torch.randn(r, w.shape[1], generator=g) * 0.01).to(torch.bfloat16)
                ad['base_model.model.' + mod + '.lora_B.weight'] = (torch.randn(w.shape[0], r, generator=g) * 0.01).to(torch.bfloat16)
        ld = os.path.join(out, 'lora'); os.makedirs(ld, exist_ok=True)
        hdr = {}; off = 0; blobs = []
        for k in sorted(ad):
            b = ad[k].contiguous().view(torch.int16).numpy().tobytes()
            hdr[k] = {'dtype': 'BF16', 'shape': list(ad[k].shape), 'data_offsets': [off, off + len(b)]}; off += len(b); blobs.append(b)
        hj = json.dumps(hdr).encode(); hj += b' ' * (-len(hj) % 8)
        with open(os.path.join(ld, 'adapter_model.safetensors'), 'wb') as f:
            f.write(struct.pack('<Q', len(hj))); f.write(hj); [f.write(b) for b in blobs]
        json.dump({'peft_type': 'LORA', 'r': r, 'lora_alpha': 32, 'target_modules': ['q_proj','k_proj','v_proj','o_proj','gate_proj','up_proj','down_proj']}, open(os.path.join(ld, 'adapter_config.json'), 'w'))
        print('adapter tensors', len(ad), 'bytes', off)
