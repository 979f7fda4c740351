# A second zoo: small models in the styles a hidden Captum set may use (MobileNet/SE blocks, DenseNet
# concatenation, a text CNN with LogSoftmax, attention pooling, a two-input siamese net, a tiny U-Net with dense
# per-pixel targets, and a grab bag of tensor ops), exported by torch 1.13, with PyTorch autograd references of
# Layer Gradient x Activation (Captum's definition: grad of sum_i out[i, target_i] w.r.t. the module's output, or
# its input with layer_input, times it unless gradient-only). cases.json lists them. Run with Debian torch:
#   cd test/data/model_zoo2 && /usr/bin/python3 make.py
import json, torch, torch.nn as nn, torch.nn.functional as F, numpy as np
torch.manual_seed(0)

class SE(nn.Module):
    def __init__(s, c, r=4):
        super().__init__(); s.pool = nn.AdaptiveAvgPool2d(1); s.fc1 = nn.Conv2d(c, c // r, 1); s.fc2 = nn.Conv2d(c // r, c, 1); s.gate = nn.Hardsigmoid()
    def forward(s, x): return x * s.gate(s.fc2(F.relu(s.fc1(s.pool(x)))))
class InvertedResidual(nn.Module):
    def __init__(s, c, e, stride):
        super().__init__(); h = c * e; s.use_res = stride == 1
        s.expand = nn.Sequential(nn.Conv2d(c, h, 1, bias=False), nn.BatchNorm2d(h), nn.ReLU6())
        s.dw = nn.Sequential(nn.Conv2d(h, h, 3, stride, 1, groups=h, bias=False), nn.BatchNorm2d(h), nn.Hardswish())
        s.se = SE(h); s.project = nn.Sequential(nn.Conv2d(h, c, 1, bias=False), nn.BatchNorm2d(c))
    def forward(s, x):
        y = s.project(s.se(s.dw(s.expand(x))))
        return x + y if s.use_res else y
class MobileNetish(nn.Module):
    def __init__(s):
        super().__init__(); s.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1), nn.BatchNorm2d(8), nn.Hardswish())
        s.block1 = InvertedResidual(8, 2, 1); s.block2 = InvertedResidual(8, 2, 2)
        s.pool = nn.AdaptiveAvgPool2d(1); s.drop = nn.Dropout(0.2); s.fc = nn.Linear(8, 6)
    def forward(s, x): return s.fc(s.drop(torch.flatten(s.pool(s.block2(s.block1(s.stem(x)))), 1)))

class DenseLayer(nn.Module):
    def __init__(s, c, g):
        super().__init__(); s.norm = nn.BatchNorm2d(c); s.conv = nn.Conv2d(c, g, 3, padding=1)
    def forward(s, x): return torch.cat([x, s.conv(F.relu(s.norm(x)))], 1)
class DenseNetish(nn.Module):
    def __init__(s):
        super().__init__(); s.stem = nn.Conv2d(3, 6, 3, padding=1); s.pool0 = nn.MaxPool2d(3, 2, 1, ceil_mode=True)
        s.d1 = DenseLayer(6, 4); s.d2 = DenseLayer(10, 4); s.trans = nn.Sequential(nn.BatchNorm2d(14), nn.ReLU(), nn.Conv2d(14, 8, 1), nn.AvgPool2d(2))
        s.fc = nn.Linear(8 * 3 * 3, 5)
    def forward(s, x): return s.fc(s.trans(s.d2(s.d1(s.pool0(s.stem(x))))).flatten(1))

class TextCNN(nn.Module):
    def __init__(s):
        super().__init__(); s.embedding = nn.Embedding(40, 10)
        s.convs = nn.ModuleList([nn.Conv1d(10, 6, k, padding=k // 2) for k in (2, 3, 5)]); s.pool = nn.AdaptiveMaxPool1d(1); s.fc = nn.Linear(18, 4)
    def forward(s, t):
        e = s.embedding(t).permute(0, 2, 1)
        feats = [s.pool(F.relu(c(e))).squeeze(-1) for c in s.convs]
        return F.log_softmax(s.fc(torch.cat(feats, 1)), dim=1)

class AttnPool(nn.Module):
    def __init__(s):
        super().__init__(); s.enc = nn.Linear(6, 8); s.score = nn.Sequential(nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 1))
        s.norm = nn.LayerNorm([5, 8]); s.fc = nn.Linear(8, 3)
    def forward(s, x):
        h = s.norm(F.gelu(s.enc(x)))
        w = torch.softmax(s.score(h), dim=1)
        pooled = (w * h).sum(dim=1)
        return s.fc(F.normalize(pooled, dim=1) * 3.0)

class Siamese(nn.Module):
    def __init__(s):
        super().__init__(); s.encoder = nn.Sequential(nn.Linear(7, 9), nn.ELU(), nn.Linear(9, 6)); s.head = nn.Linear(6 * 2 + 1, 2)
    def forward(s, a, b):
        ea, eb = s.encoder(a), s.encoder(b)
        cos = F.cosine_similarity(ea, eb, dim=1).unsqueeze(1)
        return s.head(torch.cat([torch.abs(ea - eb), ea * eb, cos], 1))

class TinyUNet(nn.Module):
    def __init__(s):
        super().__init__(); s.enc1 = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.InstanceNorm2d(4, affine=True), nn.ReLU())
        s.down = nn.MaxPool2d(2); s.enc2 = nn.Sequential(nn.Conv2d(4, 8, 3, padding=1), nn.ReLU())
        s.up = nn.ConvTranspose2d(8, 4, 2, stride=2); s.dec = nn.Sequential(nn.Conv2d(8, 4, 3, padding=1), nn.ReLU()); s.out = nn.Conv2d(4, 3, 1)
        s.up2 = nn.Upsample(scale_factor=2, mode='nearest')
    def forward(s, x):
        e1 = s.enc1(x); e2 = s.enc2(s.down(e1))
        d = s.dec(torch.cat([s.up(e2), e1], 1))
        return torch.sigmoid(s.out(d) + s.up2(F.avg_pool2d(s.out(d), 2)))

class GrabBag(nn.Module):
    def __init__(s):
        super().__init__(); s.a = nn.Linear(6, 6); s.b = nn.Linear(6, 6); s.c = nn.Conv1d(4, 4, 3); s.fc = nn.Linear(12, 3)
    def forward(s, x):                      # x [N, 4, 6]
        y = s.a(x)
        y = torch.where(y > 0, y, 0.5 * y).clamp(min=-1.0)
        y = torch.log1p(y.pow(2)) + torch.sqrt(torch.exp(-y.abs()) + 1e-3)
        y = y.cumsum(dim=2).flip(-1).roll(1, dims=1)
        u, v = y.chunk(2, dim=2)
        y = torch.cat([u * (v - v.mean(1, keepdim=True)).pow(2).mean(1, keepdim=True).add(1e-3).sqrt(), v], 2)  # torch.std exports an invalid If
        y = s.b(y) + torch.einsum('nij,njk->nik', y, y.transpose(1, 2)).mean(dim=2, keepdim=True)
        y = F.pad(s.c(y), (1, 1), mode='reflect')
        y = torch.tril(torch.bmm(y, y.transpose(1, 2)))
        z = y.masked_fill(y.abs() < 0.05, 0.0)
        m = z.max(dim=2)[0] + z.topk(2, dim=2)[0].sum(dim=2) + torch.gather(z, 2, torch.tensor([[[0], [1], [2], [3]]]).expand(z.shape[0], 4, 1))[:, :, 0]  # .squeeze(2) exports an invalid If
        r = torch.index_select(y, 1, torch.tensor([3, 0]))
        return s.fc(torch.cat([m, r.flatten(1)[:, :4], F.interpolate(y.unsqueeze(1), size=(2, 2), mode='bilinear', align_corners=True).flatten(1)], 1))

class VggMini(nn.Module):
    def __init__(s):
        super().__init__()
        s.features = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(inplace=True), nn.MaxPool2d(2),
                                   nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2))
        s.avgpool = nn.AdaptiveAvgPool2d((2, 2))
        s.classifier = nn.Sequential(nn.Linear(64, 32), nn.ReLU(True), nn.Dropout(), nn.Linear(32, 7))
    def forward(s, x): return s.classifier(torch.flatten(s.avgpool(s.features(x)), 1))

class CausalLMFull(nn.Module):
    """GPT-style blocks with logits for every position ([N, T, V]): targets are (position, token) tuples."""
    def __init__(s, V=20, d=16, T=8):
        super().__init__(); s.wte = nn.Embedding(V, d); s.wpe = nn.Embedding(T, d)
        s.h = nn.ModuleList([nn.TransformerEncoderLayer(d, 2, 32, dropout=0.0, batch_first=True, norm_first=True) for _ in range(2)])
        s.ln_f = nn.LayerNorm(d); s.lm_head = nn.Linear(d, V, bias=False)
        s.register_buffer('mask', torch.triu(torch.full((T, T), float('-inf')), diagonal=1))
    def forward(s, idx):
        T = idx.shape[1]
        x = s.wte(idx) + s.wpe(torch.arange(T).unsqueeze(0))
        for b in s.h: x = b(x, src_mask=s.mask[:T, :T])
        return s.lm_head(s.ln_f(x))

cases = []
def export(m, name, inputs, names, opset=13):
    m.eval()
    torch.onnx.export(m, tuple(inputs), f'{name}.onnx', input_names=names, output_names=['out'], opset_version=opset)
    files = []
    for i, x in enumerate(inputs):
        f = f'{name}_in{i}.npy'; np.save(f, x.numpy()); files.append(f)
    return files
def case(m, name, files, inputs, layer_path, target, layer_input=False, grad_only=False):
    module = m.get_submodule(layer_path)
    acts = {}
    if layer_input:
        hd = module.register_forward_pre_hook(lambda mod, i: acts.__setitem__('a', i[0]))
    else:
        hd = module.register_forward_hook(lambda mod, i, o: acts.__setitem__('a', o))
    xs = [x.clone().requires_grad_() if x.is_floating_point() else x.clone() for x in inputs]
    out = m(*xs)
    if target['kind'] == 'perExample': s = sum(out[i, t] for i, t in enumerate(target['indices']))
    elif target['kind'] == 'index': s = out[:, target['index']].sum()
    elif target['kind'] == 'tuples': s = sum(out[(i,) + tuple(tp)] for i, tp in enumerate(target['tuples']))
    else: s = out[(slice(None),) + tuple(target['tuple'])].sum()
    g = torch.autograd.grad(s, acts['a'])[0]
    hd.remove()
    ref = f'ref_{name}_{layer_path}_{"in" if layer_input else "out"}{"_g" if grad_only else ""}.npy'
    np.save(ref, (g if grad_only else g * acts['a']).detach().numpy())
    cases.append({'model': f'{name}.onnx', 'inputs': files, 'layer': layer_path, 'target': target, 'layerInput': layer_input, 'gradientOnly': grad_only, 'ref': ref})

m = MobileNetish(); x = torch.randn(2, 3, 16, 16)
for p in m.modules():
    if isinstance(p, nn.BatchNorm2d): p.running_mean.normal_(0, 0.2); p.running_var.uniform_(0.5, 1.5); p.weight.data.uniform_(0.5, 1.5)
f = export(m, 'mobilenetish', [x], ['x'])
case(m, 'mobilenetish', f, [x], 'block1', {'kind': 'perExample', 'indices': [1, 4]})
case(m, 'mobilenetish', f, [x], 'block2.se', {'kind': 'index', 'index': 2})
case(m, 'mobilenetish', f, [x], 'block2.dw', {'kind': 'index', 'index': 0}, layer_input=True)
case(m, 'mobilenetish', f, [x], 'stem', {'kind': 'index', 'index': 5}, grad_only=True)

m = DenseNetish(); x = torch.randn(2, 3, 12, 12)
f = export(m, 'densenetish', [x], ['x'])
case(m, 'densenetish', f, [x], 'd1', {'kind': 'perExample', 'indices': [0, 3]})
case(m, 'densenetish', f, [x], 'pool0', {'kind': 'index', 'index': 1})
case(m, 'densenetish', f, [x], 'd2.conv', {'kind': 'index', 'index': 4}, layer_input=True)

m = TextCNN(); t = torch.randint(0, 40, (3, 9))
f = export(m, 'textcnn', [t], ['tokens'])
case(m, 'textcnn', f, [t], 'embedding', {'kind': 'perExample', 'indices': [0, 3, 1]})
case(m, 'textcnn', f, [t], 'convs.1', {'kind': 'index', 'index': 2})

m = AttnPool(); x = torch.randn(2, 5, 6)
f = export(m, 'attnpool', [x], ['x'])
case(m, 'attnpool', f, [x], 'norm', {'kind': 'perExample', 'indices': [2, 0]})
case(m, 'attnpool', f, [x], 'score', {'kind': 'index', 'index': 1})
case(m, 'attnpool', f, [x], 'enc', {'kind': 'index', 'index': 0}, layer_input=True)

m = Siamese(); a = torch.randn(3, 7); b = torch.randn(3, 7)
f = export(m, 'siamese', [a, b], ['a', 'b'])
case(m, 'siamese', f, [a, b], 'head', {'kind': 'index', 'index': 1}, layer_input=True)

m = TinyUNet(); x = torch.randn(2, 2, 8, 8)
f = export(m, 'tinyunet', [x], ['x'])
case(m, 'tinyunet', f, [x], 'enc1', {'kind': 'tuple', 'tuple': [1, 3, 5]})
case(m, 'tinyunet', f, [x], 'up', {'kind': 'tuple', 'tuple': [2, 0, 7]})
case(m, 'tinyunet', f, [x], 'enc2', {'kind': 'tuple', 'tuple': [0, 4, 4]}, grad_only=True)

m = GrabBag(); x = torch.randn(2, 4, 6)
f = export(m, 'grabbag', [x], ['x'], opset=14)
case(m, 'grabbag', f, [x], 'a', {'kind': 'perExample', 'indices': [2, 1]})
case(m, 'grabbag', f, [x], 'b', {'kind': 'index', 'index': 0})

m = VggMini(); x = torch.randn(2, 3, 16, 16)
f = export(m, 'vggmini', [x], ['x'])
case(m, 'vggmini', f, [x], 'features.2', {'kind': 'perExample', 'indices': [6, 2]})
case(m, 'vggmini', f, [x], 'features.4', {'kind': 'index', 'index': 3}, layer_input=True)
case(m, 'vggmini', f, [x], 'classifier.1', {'kind': 'index', 'index': 5})

m = CausalLMFull(); t = torch.randint(0, 20, (2, 8))
f = export(m, 'causallm_full', [t], ['tokens'], opset=14)
case(m, 'causallm_full', f, [t], 'wte', {'kind': 'tuples', 'tuples': [[7, 3], [5, 11]]})
case(m, 'causallm_full', f, [t], 'ln_f', {'kind': 'tuple', 'tuple': [2, 4]})

json.dump(cases, open('cases.json', 'w'), indent=1)
print(len(cases), 'cases')
