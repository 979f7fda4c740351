# Generates recurrent test models exported by torch 1.13 (LSTM, GRU, RNN) and PyTorch autograd references of
# Layer Gradient x Activation (grad of sum_i out[i, t_i] w.r.t. a hooked module output, times that output).
# The engine unrolls the recurrent ops to differentiate through them. Run with Debian python3-torch:
#   cd test/data/rnn && /usr/bin/python3 make.py
import torch, torch.nn as nn, numpy as np
torch.manual_seed(0)

class LstmText(nn.Module):
    """Token ids -> embedding -> 2-layer bidirectional LSTM (batch first) -> last step -> linear."""
    def __init__(s):
        super().__init__(); s.embedding = nn.Embedding(30, 8); s.proj = nn.Linear(8, 8)
        s.lstm = nn.LSTM(8, 6, num_layers=2, bidirectional=True, batch_first=True); s.fc = nn.Linear(12, 4)
    def forward(s, tokens):
        out, _ = s.lstm(torch.tanh(s.proj(s.embedding(tokens))))
        return s.fc(out[:, -1])

class GruSeq(nn.Module):
    """Features [T, N, F] (time major) -> linear -> GRU -> final hidden state -> linear."""
    def __init__(s):
        super().__init__(); s.proj = nn.Linear(5, 7); s.gru = nn.GRU(7, 6); s.fc = nn.Linear(6, 3)
    def forward(s, x):
        _, h = s.gru(s.proj(x))
        return s.fc(h[-1])

class RnnRelu(nn.Module):
    """Features [N, T, F] -> Elman RNN with ReLU (batch first, initial state from the input) -> mean over time -> linear."""
    def __init__(s):
        super().__init__(); s.init = nn.Linear(5, 4); s.rnn = nn.RNN(5, 4, nonlinearity='relu', batch_first=True); s.fc = nn.Linear(4, 3)
    def forward(s, x):
        h0 = torch.tanh(s.init(x[:, 0])).unsqueeze(0)
        out, _ = s.rnn(x, h0)
        return s.fc(out.mean(dim=1))

def reference(m, inputs, module, name, targets):
    acts = {}
    hd = module.register_forward_hook(lambda mod, i, o: acts.__setitem__('a', o))
    out = m(*inputs); s = sum(out[i, t] for i, t in enumerate(targets)); g = torch.autograd.grad(s, acts['a'])[0]
    hd.remove(); np.save(name, (g * acts['a']).detach().numpy())

lstm = LstmText().eval()
tokens = torch.randint(0, 30, (2, 7))
torch.onnx.export(lstm, (tokens,), 'lstm_text.onnx', input_names=['tokens'], output_names=['logits'], opset_version=14)
np.save('lstm_tokens.npy', tokens.numpy())
reference(lstm, (tokens,), lstm.embedding, 'ref_lstm_embedding.npy', [1, 3])
reference(lstm, (tokens,), lstm.proj, 'ref_lstm_proj.npy', [1, 3])

gru = GruSeq().eval()
x = torch.randn(6, 2, 5)
torch.onnx.export(gru, (x,), 'gru_seq.onnx', input_names=['x'], output_names=['logits'], opset_version=13)
np.save('gru_x.npy', x.numpy())
reference(gru, (x,), gru.proj, 'ref_gru_proj.npy', [2, 0])

rnn = RnnRelu().eval()
xr = torch.randn(2, 5, 5)
torch.onnx.export(rnn, (xr,), 'rnn_relu.onnx', input_names=['x'], output_names=['logits'], opset_version=11)
np.save('rnn_x.npy', xr.numpy())
reference(rnn, (xr,), rnn.init, 'ref_rnn_init.npy', [0, 2])
print('ok')
