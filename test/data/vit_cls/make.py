# Generates a tiny ViT-style classifier (class token, 2 pre-norm blocks, exact GELU, final LayerNorm, head on
# the class token) and PyTorch autograd references of Layer Gradient x Activation (grad of out[i, t_i] summed,
# w.r.t. a hooked module output, times that output). The head reads only the class token, so LayerLens's row
# narrowing rewrites the last block; the references check that nothing changes. Run with Debian python3-torch:
#   cd test/data/vit_cls && /usr/bin/python3 make.py
import torch, torch.nn as nn, numpy as np
torch.manual_seed(0)
class Attention(nn.Module):
    def __init__(s, d, h):
        super().__init__(); s.h = h; s.scale = (d // h) ** -0.5; s.qkv = nn.Linear(d, 3 * d); s.proj = nn.Linear(d, d)
    def forward(s, x):
        B, N, C = x.shape
        qkv = s.qkv(x).reshape(B, N, 3, s.h, C // s.h).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        a = ((q @ k.transpose(-2, -1)) * s.scale).softmax(dim=-1)
        return s.proj((a @ v).transpose(1, 2).reshape(B, N, C))
class Mlp(nn.Module):
    def __init__(s, d, hid): super().__init__(); s.fc1 = nn.Linear(d, hid); s.act = nn.GELU(); s.fc2 = nn.Linear(hid, d)
    def forward(s, x): return s.fc2(s.act(s.fc1(x)))
class Block(nn.Module):
    def __init__(s, d, h, hid):
        super().__init__(); s.norm1 = nn.LayerNorm(d, eps=1e-6); s.attn = Attention(d, h); s.norm2 = nn.LayerNorm(d, eps=1e-6); s.mlp = Mlp(d, hid)
    def forward(s, x): x = x + s.attn(s.norm1(x)); return x + s.mlp(s.norm2(x))
class ViT(nn.Module):
    def __init__(s, d=16, depth=2, h=2, hid=32, classes=5, image=8, patch=4):
        super().__init__()
        s.patch_embed = nn.Conv2d(3, d, patch, stride=patch)
        n = (image // patch) ** 2
        s.cls_token = nn.Parameter(torch.randn(1, 1, d) * 0.5); s.pos_embed = nn.Parameter(torch.randn(1, n + 1, d) * 0.5)
        s.blocks = nn.Sequential(*[Block(d, h, hid) for _ in range(depth)]); s.norm = nn.LayerNorm(d, eps=1e-6); s.head = nn.Linear(d, classes)
    def forward(s, x):
        x = s.patch_embed(x).flatten(2).transpose(1, 2)
        x = torch.cat([s.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + s.pos_embed
        x = s.norm(s.blocks(x))
        return s.head(x[:, 0])
m = ViT().eval()
x = torch.randn(2, 3, 8, 8)
torch.onnx.export(m, (x,), 'vit_cls.onnx', input_names=['x'], output_names=['logits'], opset_version=17)
np.save('x.npy', x.numpy())
targets = [3, 1]
def reference(module, name):
    acts = {}
    hd = module.register_forward_hook(lambda mod, i, o: acts.__setitem__('a', o))
    out = m(x); s = sum(out[i, t] for i, t in enumerate(targets)); g = torch.autograd.grad(s, acts['a'])[0]
    hd.remove(); np.save(f'ref_{name}.npy', (g * acts['a']).detach().numpy())
reference(m.blocks[0], 'blocks.0')
reference(m.blocks[1].attn.proj, 'blocks.1.attn.proj')
reference(m.blocks[1].mlp.fc1, 'blocks.1.mlp.fc1')
reference(m.blocks[1].norm2, 'blocks.1.norm2')
reference(m.norm, 'norm')
print('ok')
