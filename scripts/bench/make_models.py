#!/usr/bin/env python3
"""Build-time only: exports the benchmark models to bench/models/ (ONNX + PyTorch state dict).

Models (built by default: resnet18, vit; the layer walk adds resnet50 and vit_b16 with --models)
  resnet18  torchvision-style BasicBlock ResNet-18 (full width), 3x224x224 -> 1000, written out by hand.
  vit       small ViT-style encoder: 16x16 patch conv -> 196 tokens + class token, dim 192, 6 blocks,
            3 heads, MLP 768, LayerNorm, GELU, head 1000.
  resnet50  torchvision-style Bottleneck ResNet-50 (stride on the 3x3 conv, as torchvision), 25.6 M parameters;
            BN running statistics measured on random inputs (train-mode passes), so activations stay O(1)
            through 16 blocks in eval mode.
  vit_b16   ViT-B/16-sized: the same ViT code with dim 768, 12 blocks, 12 heads, MLP 3072: 86.6 M parameters,
            197 tokens.

All: random init with a fixed seed, eval mode, torch.onnx.export opset 17, dynamic batch. The exported
node names carry module scopes (/layer3/layer3.1/relu_1/Relu, /blocks/blocks.3/...).

The output folder is cached per model by a content hash of this file (bench/models/manifest.json):
re-running with an unchanged script does nothing for models already there. torch_bench.py imports
`build_model` from here and loads the saved state dict, so PyTorch and onnxruntime run the same weights.

Usage: python3 scripts/bench/make_models.py [--out bench/models] [--models resnet18,vit,resnet50,vit_b16] [--force]
"""
import argparse
import hashlib
import json
import math
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

SEED = 20240604
OPSET = 17
NUM_CLASSES = 1000


# ----------------------------------------------------------------------------------------------- ResNet-18
def conv3x3(cin, cout, stride=1):
    return nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out = out + identity
        return self.relu(out)


class ResNet(nn.Module):
    """torchvision's ResNet: `block` (BasicBlock or Bottleneck) repeated `layers[i]` times in stage i."""

    def __init__(self, block, layers, num_classes=NUM_CLASSES):
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2)
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2)
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        # torchvision's init: keeps activations O(1) through the net (no denormals in the timings).
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def _make_layer(self, block, planes, blocks, stride=1):
        downsample = None
        width = planes * block.expansion
        if stride != 1 or self.inplanes != width:
            downsample = nn.Sequential(nn.Conv2d(self.inplanes, width, 1, stride=stride, bias=False), nn.BatchNorm2d(width))
        layers = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = width
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = torch.flatten(self.avgpool(x), 1)
        return self.fc(x)


def resnet18():
    return ResNet(BasicBlock, [2, 2, 2, 2])


# ----------------------------------------------------------------------------------------------- ResNet-50
class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes, stride)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        return self.relu(out + identity)


def resnet50():
    return ResNet(Bottleneck, [3, 4, 6, 3])


def calibrate_bn(m, seed):
    """Running statistics from train-mode passes over random inputs (cumulative average): in eval mode every BN then
    normalises its input to about zero mean and unit variance, as a trained network's would."""
    g = torch.Generator().manual_seed(seed)
    for mod in m.modules():
        if isinstance(mod, nn.BatchNorm2d):
            mod.reset_running_stats()
            mod.momentum = None
    m.train()
    with torch.no_grad():
        for _ in range(2):
            m(torch.rand(4, 3, 224, 224, generator=g) * 2 - 1)
    for mod in m.modules():
        if isinstance(mod, nn.BatchNorm2d):
            mod.momentum = 0.1


# ---------------------------------------------------------------------------------------------------- ViT
class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, c = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = (q @ k.transpose(-2, -1)) * self.scale
        attn = attn.softmax(dim=-1)
        x = (attn @ v).transpose(1, 2).reshape(b, n, c)
        return self.proj(x)


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, dim, heads, hidden):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, hidden)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class PatchEmbed(nn.Module):
    def __init__(self, dim, patch=16):
        super().__init__()
        self.proj = nn.Conv2d(3, dim, patch, stride=patch)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class ViT(nn.Module):
    def __init__(self, dim=192, depth=6, heads=3, hidden=768, num_classes=NUM_CLASSES, image=224, patch=16):
        super().__init__()
        n = (image // patch) ** 2
        self.patch_embed = PatchEmbed(dim, patch)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, n + 1, dim))
        self.blocks = nn.Sequential(*[Block(dim, heads, hidden) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, num_classes)
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        nn.init.trunc_normal_(self.cls_token, std=0.02)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.patch_embed(x)
        cls = self.cls_token.expand(x.shape[0], -1, -1)
        x = torch.cat((cls, x), dim=1) + self.pos_embed
        x = self.norm(self.blocks(x))
        return self.head(x[:, 0])


def vit_b16():
    return ViT(dim=768, depth=12, heads=12, hidden=3072)


MODELS = {"resnet18": resnet18, "vit": ViT, "resnet50": resnet50, "vit_b16": vit_b16}
LAYERS = {"resnet18": "layer3", "vit": "blocks.3", "resnet50": "layer3", "vit_b16": "blocks.3"}
DEFAULT_MODELS = ["resnet18", "vit"]


def build_model(kind):
    """The module with the fixed-seed random init (state dict loaded separately), eval mode."""
    torch.manual_seed(SEED)
    m = MODELS[kind]()
    if kind == "resnet18":
        # Non-trivial BN statistics, so folding BN into Conv (done by the exporter) is exercised.
        g = torch.Generator().manual_seed(SEED + 1)
        for mod in m.modules():
            if isinstance(mod, nn.BatchNorm2d):
                c = mod.num_features
                mod.running_mean.copy_(torch.randn(c, generator=g) * 0.1)
                mod.running_var.copy_(torch.rand(c, generator=g) * 0.5 + 0.75)
    elif kind == "resnet50":
        calibrate_bn(m, SEED + 1)
    return m.eval()


def bench_input(batch, variant=0):
    """The deterministic input the JS side builds too: x[k] = 2 * frac(((k + variant*1000003) * 2654435761) mod 2^32 / 2^32) - 1."""
    n = batch * 3 * 224 * 224
    k = torch.arange(n, dtype=torch.int64) + variant * 1000003
    h = (k * 2654435761) % (2 ** 32)
    x = (h.to(torch.float64) / 2 ** 32) * 2 - 1
    return x.to(torch.float32).reshape(batch, 3, 224, 224)


def script_hash():
    with open(os.path.abspath(__file__), "rb") as f:
        src = f.read()
    return hashlib.sha256(src + f"torch={torch.__version__}".encode()).hexdigest()[:16]


def main():
    ap = argparse.ArgumentParser()
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    ap.add_argument("--out", default=os.path.join(root, "bench", "models"))
    ap.add_argument("--models", default=",".join(DEFAULT_MODELS), help=f"comma list of {', '.join(MODELS)}")
    ap.add_argument("--force", action="store_true")
    args = ap.parse_args()
    kinds = [k for k in args.models.split(",") if k]
    for k in kinds:
        if k not in MODELS:
            ap.error(f"unknown model {k!r} ({', '.join(MODELS)})")
    os.makedirs(args.out, exist_ok=True)
    manifest_path = os.path.join(args.out, "manifest.json")
    h = script_hash()
    manifest = {"hash": h, "torch": torch.__version__, "opset": OPSET, "seed": SEED, "models": {}}
    if os.path.exists(manifest_path):
        with open(manifest_path) as f:
            old = json.load(f)
        if old.get("hash") == h:  # models built by this very script are kept; others are rebuilt when asked for
            manifest["models"] = {
                k: m for k, m in old.get("models", {}).items()
                if all(os.path.exists(os.path.join(args.out, m[f])) for f in ("onnx", "state"))
            }
    todo = [k for k in kinds if args.force or k not in manifest["models"]]
    if not todo:
        print(json.dumps({"cached": True, **manifest}))
        return

    torch.set_num_threads(max(1, os.cpu_count() or 1))
    for kind in todo:
        t0 = time.time()
        m = build_model(kind)
        onnx_path = os.path.join(args.out, f"{kind}.onnx")
        state_path = os.path.join(args.out, f"{kind}.pt")
        torch.save(m.state_dict(), state_path)
        x = bench_input(1)
        with torch.no_grad():
            torch.onnx.export(
                m, x, onnx_path, opset_version=OPSET, input_names=["input"], output_names=["logits"],
                dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, do_constant_folding=True,
            )
            ref = m(bench_input(2, 1))
        params = sum(p.numel() for p in m.parameters())
        manifest["models"][kind] = {
            "onnx": os.path.basename(onnx_path), "state": os.path.basename(state_path), "layer": LAYERS[kind],
            "params": params, "onnx_bytes": os.path.getsize(onnx_path), "export_s": round(time.time() - t0, 2),
            # Logits of bench_input(2, variant=1): the bench checks onnxruntime against these.
            "ref_logits_head": [round(float(v), 6) for v in ref[:, :5].flatten()],
            "ref_logits_absmean": float(ref.abs().mean()),
        }
        # Written after each model, so an interrupted build keeps what it finished.
        with open(manifest_path, "w") as f:
            json.dump(manifest, f, indent=1)
    print(json.dumps({"cached": False, "built": todo, **manifest}))


if __name__ == "__main__":
    sys.exit(main())
