# Generates the GPT-style causal LM test model and Captum-equivalent references (torch autograd of
# out[:, t].sum() w.r.t. a hooked module output, times that output). Run with Debian python3-torch:
#   cd test/data/causal_lm && /usr/bin/python3 make.py
import torch, torch.nn as nn, math, numpy as np
torch.manual_seed(0)
class Attn(nn.Module):
    def __init__(s, d, h, T):
        super().__init__(); s.h=h; s.c_attn=nn.Linear(d,3*d); s.c_proj=nn.Linear(d,d)
        s.register_buffer('bias', torch.tril(torch.ones(T,T)).view(1,1,T,T))
    def forward(s, x):
        B,T,C=x.size(); q,k,v=s.c_attn(x).split(C,dim=2)
        q=q.view(B,T,s.h,C//s.h).transpose(1,2); k=k.view(B,T,s.h,C//s.h).transpose(1,2); v=v.view(B,T,s.h,C//s.h).transpose(1,2)
        att=(q@k.transpose(-2,-1))*(1.0/math.sqrt(k.size(-1)))
        att=att.masked_fill(s.bias[:,:,:T,:T]==0, float('-inf')); att=torch.softmax(att,dim=-1)
        y=(att@v).transpose(1,2).contiguous().view(B,T,C); return s.c_proj(y)
class NewGELU(nn.Module):
    def forward(s,x): return 0.5*x*(1.0+torch.tanh(math.sqrt(2.0/math.pi)*(x+0.044715*torch.pow(x,3.0))))
class MLP(nn.Module):
    def __init__(s,d): super().__init__(); s.c_fc=nn.Linear(d,4*d); s.act=NewGELU(); s.c_proj=nn.Linear(4*d,d); s.drop=nn.Dropout(0.1)
    def forward(s,x): return s.drop(s.c_proj(s.act(s.c_fc(x))))
class Block(nn.Module):
    def __init__(s,d,h,T): super().__init__(); s.ln_1=nn.LayerNorm(d); s.attn=Attn(d,h,T); s.ln_2=nn.LayerNorm(d); s.mlp=MLP(d)
    def forward(s,x): x=x+s.attn(s.ln_1(x)); return x+s.mlp(s.ln_2(x))
class GPT(nn.Module):
    def __init__(s,V=50,d=32,h=4,T=16,L=2):
        super().__init__(); s.wte=nn.Embedding(V,d); s.wpe=nn.Embedding(T,d); s.h=nn.ModuleList([Block(d,h,T) for _ in range(L)]); s.ln_f=nn.LayerNorm(d); s.lm_head=nn.Linear(d,V,bias=False)
    def forward(s, idx):
        B,T=idx.size(); pos=torch.arange(0,T,dtype=torch.long).unsqueeze(0)
        x=s.wte(idx)+s.wpe(pos)
        for b in s.h: x=b(x)
        return s.lm_head(s.ln_f(x))[:, -1, :]
m=GPT().eval()
idx=torch.randint(0,50,(2,10))
for opset in (17,):
    torch.onnx.export(m,(idx,),f'clm{opset}.onnx',input_names=['tokens'],output_names=['logits'],dynamic_axes={'tokens':{0:'N',1:'T'},'logits':{0:'N'}},opset_version=opset)
np.save('tokens.npy', idx.numpy())
# reference: gradient x activation for h.0.mlp output (captured) target 7
acts={}
def hook(mod,inp,out): acts['a']=out; out.retain_grad()
hd=m.h[1].mlp.c_fc.register_forward_hook(hook)
out=m(idx); s=out[:,7].sum(); g=torch.autograd.grad(s, acts['a'])[0]
np.save('ref_h1_mlp_c_fc.npy', (g*acts['a']).detach().numpy())
hd.remove()
acts={}
hd=m.h[0].attn.register_forward_hook(hook)
out=m(idx); s=out[:,3].sum(); g=torch.autograd.grad(s, acts['a'])[0]
np.save('ref_h0_attn.npy', (g*acts['a']).detach().numpy())
hd.remove()
acts={}
hd=m.h[0].ln_1.register_forward_hook(hook)
out=m(idx); s=out[:,3].sum(); g=torch.autograd.grad(s, acts['a'])[0]
np.save('ref_h0_ln_1.npy', (g*acts['a']).detach().numpy())
hd.remove()
print('ok')
