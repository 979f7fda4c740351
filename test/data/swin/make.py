# A Swin-style window-attention transformer (patch embedding, two blocks: window attention and shifted-window
# attention with torch.roll and the shift mask, a relative position bias table gathered by an index buffer, nn.Dropout
# after the attention weights, the projection and in the MLP; then LayerNorm, mean pooling and a linear head), exported
# by torch 1.13 at opset 17, with PyTorch autograd references of Layer Gradient x Activation at its attention layers
# (Captum's definition: grad of sum_i out[i, target_i] w.r.t. the module's output, or its input with layer_input, times
# it unless gradient-only). cases.json lists them.
# torch 1.13 writes Dropout nodes only for dropout traced in training mode (in eval mode it drops them), so the model
# is exported with TrainingMode.PRESERVE while in train mode, as a model exported without model.eval() is: every
# Dropout node then has ratio and training_mode=true inputs and a mask output. The rates are 0.0 (timm's Swin
# defaults), so train and eval mode compute the same function (checked below; the model has no BatchNorm) and the
# references are taken in eval mode. Run with Debian torch:
#   cd test/data/swin && /usr/bin/python3 make.py
import json, onnx, torch, torch.nn as nn, torch.nn.functional as F, numpy as np
torch.manual_seed(0)

def to_windows(x, w):                       # [B, H, W, C] -> [B * nW, w * w, C]
    B, H, W, C = x.shape
    return x.view(B, H // w, w, W // w, w, C).permute(0, 1, 3, 2, 4, 5).reshape(-1, w * w, C)
def from_windows(win, w, H, W):             # [B * nW, w * w, C] -> [B, H, W, C]
    B = win.shape[0] // ((H // w) * (W // w))
    return win.view(B, H // w, W // w, w, w, -1).permute(0, 1, 3, 2, 4, 5).reshape(B, H, W, -1)

class WindowAttention(nn.Module):
    def __init__(s, dim, w, heads, attn_drop=0.0, proj_drop=0.0):
        super().__init__(); s.w = w; s.heads = heads; s.scale = (dim // heads) ** -0.5
        s.relative_position_bias_table = nn.Parameter(torch.randn((2 * w - 1) ** 2, heads) * 0.5)
        # For each (query, key) pair of a window: the row of the table for their offset (dy, dx), both in [-(w-1), w-1].
        ys, xs = torch.meshgrid(torch.arange(w), torch.arange(w), indexing='ij')
        pos = torch.stack([ys.flatten(), xs.flatten()])                 # [2, w*w]
        d = pos[:, :, None] - pos[:, None, :] + (w - 1)                 # [2, w*w, w*w], in [0, 2w-2]
        s.register_buffer('relative_position_index', d[0] * (2 * w - 1) + d[1])
        s.qkv = nn.Linear(dim, 3 * dim); s.attn_drop = nn.Dropout(attn_drop); s.proj = nn.Linear(dim, dim); s.proj_drop = nn.Dropout(proj_drop)
    def forward(s, x, mask=None):           # x [B_, N, C]; mask [nW, N, N] of 0 / -100
        B_, N, C = x.shape
        qkv = s.qkv(x).reshape(B_, N, 3, s.heads, C // s.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = (q * s.scale) @ k.transpose(-2, -1)
        bias = s.relative_position_bias_table[s.relative_position_index.view(-1)].view(N, N, -1).permute(2, 0, 1)
        attn = attn + bias.unsqueeze(0)
        if mask is not None:
            nW = mask.shape[0]
            attn = attn.view(B_ // nW, nW, s.heads, N, N) + mask.unsqueeze(1).unsqueeze(0)
            attn = attn.view(-1, s.heads, N, N)
        attn = s.attn_drop(attn.softmax(dim=-1))
        return s.proj_drop(s.proj((attn @ v).transpose(1, 2).reshape(B_, N, C)))

class Mlp(nn.Module):
    def __init__(s, dim, hidden, drop=0.0):
        super().__init__(); s.fc1 = nn.Linear(dim, hidden); s.act = nn.GELU(); s.drop1 = nn.Dropout(drop); s.fc2 = nn.Linear(hidden, dim); s.drop2 = nn.Dropout(drop)
    def forward(s, x): return s.drop2(s.fc2(s.drop1(s.act(s.fc1(x)))))

class SwinBlock(nn.Module):
    def __init__(s, dim, res, heads, w, shift):
        super().__init__(); s.res = res; s.w = w; s.shift = shift
        s.norm1 = nn.LayerNorm(dim); s.attn = WindowAttention(dim, w, heads); s.norm2 = nn.LayerNorm(dim); s.mlp = Mlp(dim, 2 * dim)
        if shift:
            # Windows of the rolled map mix regions that were not neighbours: those pairs get -100 before the softmax.
            region = torch.zeros(1, res, res, 1)
            cuts = (slice(0, -w), slice(-w, -shift), slice(-shift, None))
            for r, (ys, xs) in enumerate((ys, xs) for ys in cuts for xs in cuts): region[:, ys, xs, :] = r
            ids = to_windows(region, w).squeeze(-1)                      # [nW, w*w]
            mask = ids[:, None, :] - ids[:, :, None]
            s.register_buffer('attn_mask', mask.masked_fill(mask != 0, -100.0).masked_fill(mask == 0, 0.0))
        else:
            s.attn_mask = None
    def forward(s, x):                      # x [B, L, C]
        B, L, C = x.shape
        h = s.norm1(x).view(B, s.res, s.res, C)
        if s.shift: h = torch.roll(h, shifts=(-s.shift, -s.shift), dims=(1, 2))
        h = from_windows(s.attn(to_windows(h, s.w), s.attn_mask), s.w, s.res, s.res)
        if s.shift: h = torch.roll(h, shifts=(s.shift, s.shift), dims=(1, 2))
        x = x + h.reshape(B, L, C)
        return x + s.mlp(s.norm2(x))

class TinySwin(nn.Module):
    def __init__(s, dim=16, heads=2, w=4, classes=5):
        super().__init__(); s.patch_embed = nn.Conv2d(3, dim, 2, 2); s.pos_drop = nn.Dropout(0.0)
        s.blocks = nn.ModuleList([SwinBlock(dim, 8, heads, w, 0), SwinBlock(dim, 8, heads, w, w // 2)])
        s.norm = nn.LayerNorm(dim); s.head = nn.Linear(dim, classes)
    def forward(s, x):                      # x [N, 3, 16, 16]
        h = s.pos_drop(s.patch_embed(x).flatten(2).transpose(1, 2))
        for b in s.blocks: h = b(h)
        return s.head(s.norm(h).mean(1))

cases = []
def export(m, name, inputs, names):
    m.train()
    torch.onnx.export(m, tuple(inputs), f'{name}.onnx', input_names=names, output_names=['out'], opset_version=17,
                      training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)
    with torch.no_grad():
        train_out = m(*inputs); m.eval(); eval_out = m(*inputs)
    assert torch.equal(train_out, eval_out), 'dropout rates must be 0: train and eval mode differ'
    drops = [n for n in onnx.load(f'{name}.onnx').graph.node if n.op_type == 'Dropout']
    assert drops and all(len(n.output) == 2 and len(n.input) == 3 for n in drops), 'expected Dropout nodes with mask outputs'
    print(f'{name}.onnx: {len(drops)} Dropout nodes')
    files = []
    for i, x in enumerate(inputs):
        f = f'{name}_in{i}.npy'; np.save(f, x.numpy()); files.append(f)
    return files
def case(m, name, files, inputs, layer_path, target, layer_input=False, grad_only=False):
    m.eval()
    module = m.get_submodule(layer_path)
    acts = {}
    if layer_input:
        hd = module.register_forward_pre_hook(lambda mod, i: acts.__setitem__('a', i[0]))
    else:
        hd = module.register_forward_hook(lambda mod, i, o: acts.__setitem__('a', o))
    xs = [x.clone().requires_grad_() if x.is_floating_point() else x.clone() for x in inputs]
    out = m(*xs)
    if target['kind'] == 'perExample': s = sum(out[i, t] for i, t in enumerate(target['indices']))
    else: s = out[:, target['index']].sum()
    g = torch.autograd.grad(s, acts['a'])[0]
    hd.remove()
    ref = f'ref_{name}_{layer_path}_{"in" if layer_input else "out"}{"_g" if grad_only else ""}.npy'
    np.save(ref, (g if grad_only else g * acts['a']).detach().numpy())
    cases.append({'model': f'{name}.onnx', 'inputs': files, 'layer': layer_path, 'target': target, 'layerInput': layer_input, 'gradientOnly': grad_only, 'ref': ref})

m = TinySwin(); x = torch.randn(2, 3, 16, 16)
f = export(m, 'swin', [x], ['x'])
case(m, 'swin', f, [x], 'blocks.0.attn', {'kind': 'perExample', 'indices': [3, 1]})
case(m, 'swin', f, [x], 'blocks.1.attn', {'kind': 'index', 'index': 2})
case(m, 'swin', f, [x], 'blocks.1.attn', {'kind': 'index', 'index': 0}, layer_input=True)
case(m, 'swin', f, [x], 'blocks.1.attn.attn_drop', {'kind': 'index', 'index': 4})
case(m, 'swin', f, [x], 'blocks.0.attn.proj', {'kind': 'perExample', 'indices': [0, 2]}, grad_only=True)

json.dump(cases, open('cases.json', 'w'), indent=1)
print(len(cases), 'cases')
