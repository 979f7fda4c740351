# Many PyTorch modules in one model (GroupNorm, SiLU, bilinear Upsample, Hardswish, Mish, ELU, LeakyReLU, PReLU,
# PixelShuffle, AdaptiveAvgPool, BatchNorm1d, MultiheadAttention, TransformerEncoderLayer, Softplus), exported by
# torch 1.13, with PyTorch autograd references of gradient x activation for target 2. Run with Debian python3-torch:
#   cd test/data/module_zoo && /usr/bin/python3 make.py
import torch, torch.nn as nn, numpy as np, json
torch.manual_seed(1)
class Zoo(nn.Module):
    def __init__(s):
        super().__init__()
        s.stem=nn.Sequential(nn.Conv2d(3,8,3,padding=1), nn.GroupNorm(2,8), nn.SiLU())
        s.up=nn.Upsample(scale_factor=2, mode='bilinear', align_corners=False)
        s.down=nn.Conv2d(8,12,3,stride=2,padding=1)
        s.act1=nn.Hardswish(); s.act2=nn.Mish(); s.act3=nn.ELU(); s.act4=nn.LeakyReLU(0.1); s.act5=nn.PReLU(12)
        s.ps=nn.PixelShuffle(2)
        s.pool=nn.AdaptiveAvgPool2d((2,2))
        s.bn1d=nn.BatchNorm1d(48)
        s.mha=nn.MultiheadAttention(12, 3, batch_first=True)
        s.enc=nn.TransformerEncoderLayer(12, 2, 24, dropout=0.0, batch_first=True)
        s.head=nn.Sequential(nn.Linear(48+12,16), nn.Softplus(), nn.Linear(16,5))
    def forward(s,x):
        h=s.stem(x)                        # 8x16x16
        h=s.down(s.up(h))                  # 12x16x16
        h=s.act5(s.act4(s.act3(s.act2(s.act1(h)))))
        p=s.ps(h)                          # 3x32x32
        q=s.pool(h).flatten(1)             # 48
        q=s.bn1d(q)
        t=h.flatten(2).transpose(1,2)      # N,256,12
        a,_=s.mha(t,t,t)
        e=s.enc(a).mean(1)                 # N,12
        return s.head(torch.cat([q,e],1)) + p.mean((1,2,3)).unsqueeze(1)
m=Zoo().eval()
x=torch.randn(2,3,16,16)
torch.onnx.export(m,(x,),'zoo.onnx',input_names=['x'],output_names=['y'],dynamic_axes={'x':{0:'N'},'y':{0:'N'}},opset_version=14)
np.save('x.npy', x.numpy())
refs={}
for name in ['stem','down','act2','act5','ps','bn1d','enc','head.1']:
    mod=dict(m.named_modules())[name]; acts={}
    def hook(mo,i,o): acts['a']=o[0] if isinstance(o,tuple) else o
    hd=mod.register_forward_hook(hook); out=m(x); g=torch.autograd.grad(out[:,2].sum(), acts['a'])[0]; hd.remove()
    np.save(f'ref_{name}.npy',(g*acts['a']).detach().numpy())
print('ok')
