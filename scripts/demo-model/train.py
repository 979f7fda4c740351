#!/usr/bin/python3
"""Build LayerLens's bundled demo model: a small CNN trained on Fashion-MNIST.

This is a build-time script; the extension never runs it. It needs Debian's
packages (run with /usr/bin/python3, not a virtualenv python):

    apt-get install -y python3-torch python3-onnx python3-numpy dataset-fashion-mnist
    /usr/bin/python3 scripts/demo-model/train.py

It reads the IDX files that dataset-fashion-mnist installs under
/usr/share/datasets/fashion-mnist (override with --data), trains on CPU with
a fixed seed and two threads, measures accuracy on the full 10k test set, and
writes into media/demo/ (override with --out):

    fashion_mnist_cnn.onnx   the model (opset 17, input "image" [N,1,28,28],
                             output "logits" [N,10]) with metadata_props
    labels.json              the 10 class names
    preprocess.json          the preprocessing, as in the model's metadata
    samples/<i>_<slug>.png   8 correctly classified test images, one per class
    README.md                how it was made and what was measured
"""

import argparse
import gzip
import json
import os
import random
import struct
import sys
import time
import zlib

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

LABELS = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]
# Classes the samples are drawn from (8 of the 10; Coat and Shirt are left out
# because they are the ones most easily confused with Pullover/T-shirt).
SAMPLE_CLASSES = [0, 1, 2, 3, 5, 7, 8, 9]

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def read_idx(path):
    """Read a (gzipped) IDX file into a numpy array."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    return arr.reshape(dims)


def load_split(data_dir, prefix):
    def find(name):
        for cand in (name + ".gz", name):
            p = os.path.join(data_dir, cand)
            if os.path.exists(p):
                return p
        raise FileNotFoundError(
            f"{name}(.gz) not found in {data_dir}; "
            "install it with: apt-get install -y dataset-fashion-mnist")
    images = read_idx(find(f"{prefix}-images-idx3-ubyte"))
    labels = read_idx(find(f"{prefix}-labels-idx1-ubyte"))
    assert images.shape[1:] == (28, 28) and len(images) == len(labels)
    return images, labels.astype(np.int64)


class FashionCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential()
        self.features.add_module("conv1", nn.Conv2d(1, 16, 3, padding=1))
        self.features.add_module("bn1", nn.BatchNorm2d(16))
        self.features.add_module("relu1", nn.ReLU())
        self.features.add_module("pool1", nn.MaxPool2d(2))      # 28 -> 14
        self.features.add_module("conv2", nn.Conv2d(16, 32, 3, padding=1))
        self.features.add_module("bn2", nn.BatchNorm2d(32))
        self.features.add_module("relu2", nn.ReLU())
        self.features.add_module("pool2", nn.MaxPool2d(2))      # 14 -> 7
        self.features.add_module("conv3", nn.Conv2d(32, 64, 3, padding=1))
        self.features.add_module("relu3", nn.ReLU())
        self.features.add_module("pool3", nn.MaxPool2d(2))      # 7 -> 3
        self.classifier = nn.Linear(64 * 3 * 3, 10)

    def forward(self, x):
        x = self.features(x)
        x = torch.flatten(x, 1)
        return self.classifier(x)


def slug(label):
    out = "".join(c.lower() if c.isalnum() else "-" for c in label)
    while "--" in out:
        out = out.replace("--", "-")
    return out.strip("-")


def write_png_gray(path, pixels):
    """Write an 8-bit grayscale PNG (no dependencies beyond zlib)."""
    h, w = pixels.shape
    raw = b"".join(b"\x00" + pixels[y].astype(np.uint8).tobytes() for y in range(h))

    def chunk(tag, body):
        c = struct.pack(">I", len(body)) + tag + body
        return c + struct.pack(">I", zlib.crc32(tag + body) & 0xFFFFFFFF)

    png = (b"\x89PNG\r\n\x1a\n"
           + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw, 9))
           + chunk(b"IEND", b""))
    with open(path, "wb") as f:
        f.write(png)


@torch.no_grad()
def predict(model, x, batch=1000):
    model.eval()
    return torch.cat([model(x[i:i + batch]) for i in range(0, len(x), batch)])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--out", default=os.path.join(REPO, "media", "demo"))
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--seed", type=int, default=20240601)
    args = ap.parse_args()

    torch.set_num_threads(2)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.use_deterministic_algorithms(True)

    train_x, train_y = load_split(args.data, "train")
    test_x, test_y = load_split(args.data, "t10k")
    print(f"train {train_x.shape}, test {test_x.shape}")

    # Normalisation constants: from the training set, rounded to 4 decimals,
    # and the rounded values are the ones used, so preprocess.json is exact.
    scaled = train_x.astype(np.float64) / 255.0
    mean = round(float(scaled.mean()), 4)
    std = round(float(scaled.std()), 4)
    print(f"mean {mean} std {std}")

    def to_tensor(imgs):
        t = torch.from_numpy(imgs.astype(np.float32) / 255.0).unsqueeze(1)
        return (t - mean) / std

    xtr, ytr = to_tensor(train_x), torch.from_numpy(train_y)
    xte, yte = to_tensor(test_x), torch.from_numpy(test_y)

    model = FashionCNN()
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    steps_per_epoch = (len(xtr) + args.batch_size - 1) // args.batch_size
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=args.lr, total_steps=args.epochs * steps_per_epoch)
    gen = torch.Generator().manual_seed(args.seed)

    t0, c0 = time.time(), time.process_time()
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(len(xtr), generator=gen)
        total, seen = 0.0, 0
        for i in range(0, len(xtr), args.batch_size):
            idx = perm[i:i + args.batch_size]
            xb, yb = xtr[idx], ytr[idx]
            # Augmentation: random horizontal flip of half the batch.
            flip = torch.rand(len(idx), generator=gen) < 0.5
            xb = torch.where(flip[:, None, None, None], xb.flip(3), xb)
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
            seen += len(idx)
        acc = (predict(model, xte).argmax(1) == yte).float().mean().item()
        print(f"epoch {epoch + 1}/{args.epochs}: loss {total / seen:.4f} "
              f"test acc {acc:.4f} ({time.time() - t0:.0f}s)", flush=True)
    train_seconds = time.time() - t0
    train_cpu_seconds = time.process_time() - c0

    model.eval()
    logits = predict(model, xte)
    pred = logits.argmax(1)
    correct = int((pred == yte).sum())
    test_accuracy = correct / len(yte)
    print(f"test accuracy {test_accuracy:.4f} ({correct}/{len(yte)}), "
          f"training {train_seconds:.0f}s wall, {train_cpu_seconds:.0f}s CPU")

    # ---- export -----------------------------------------------------------
    import onnx

    os.makedirs(args.out, exist_ok=True)
    onnx_path = os.path.join(args.out, "fashion_mnist_cnn.onnx")
    preprocess = {
        "size": [28, 28], "channels": 1, "range": [0, 1],
        "mean": [mean], "std": [std], "layout": "nchw",
    }
    acc_str = f"{test_accuracy:.4f}"
    description = (
        "LayerLens demo: small CNN (3 conv layers, max-pool, linear) "
        "trained on Fashion-MNIST (Zalando Research, MIT licence) by "
        "scripts/demo-model/train.py; input 'image' [N,1,28,28] normalised "
        f"grayscale, output 'logits' [N,10]; test accuracy {acc_str}.")

    dummy = torch.zeros(1, 1, 28, 28)
    torch.onnx.export(
        model, dummy, onnx_path,
        export_params=True, opset_version=17, do_constant_folding=True,
        training=torch.onnx.TrainingMode.EVAL,
        input_names=["image"], output_names=["logits"],
        dynamic_axes={"image": {0: "N"}, "logits": {0: "N"}},
    )

    m = onnx.load(onnx_path)
    m.producer_name = "layerlens scripts/demo-model/train.py (pytorch " + torch.__version__ + ")"
    m.doc_string = description
    del m.metadata_props[:]
    for key, value in [
        ("labels", json.dumps(LABELS)),
        ("layerlens.preprocess", json.dumps(preprocess)),
        ("test_accuracy", acc_str),
        ("description", description),
    ]:
        p = m.metadata_props.add()
        p.key, p.value = key, value
    onnx.checker.check_model(m)
    onnx.save(m, onnx_path)
    model_bytes = os.path.getsize(onnx_path)
    node_names = [n.name for n in m.graph.node]
    print(f"wrote {onnx_path} ({model_bytes} bytes)")
    print("nodes: " + ", ".join(f"{n.name} ({n.op_type})" for n in m.graph.node))

    with open(os.path.join(args.out, "labels.json"), "w") as f:
        json.dump(LABELS, f, indent=2)
        f.write("\n")
    with open(os.path.join(args.out, "preprocess.json"), "w") as f:
        json.dump(preprocess, f, indent=2)
        f.write("\n")

    # ---- samples ----------------------------------------------------------
    # The first test image of each chosen class that the model gets right with
    # a clear margin (softmax >= 0.95), so the demo is unambiguous and the
    # result does not hinge on float rounding between runtimes.
    probs = logits.softmax(1)
    sample_dir = os.path.join(args.out, "samples")
    os.makedirs(sample_dir, exist_ok=True)
    for name in os.listdir(sample_dir):
        if name.endswith(".png"):
            os.remove(os.path.join(sample_dir, name))
    samples = []
    for cls in SAMPLE_CLASSES:
        ok = ((yte == cls) & (pred == cls) & (probs[:, cls] >= 0.95)).nonzero()
        if len(ok) == 0:
            ok = ((yte == cls) & (pred == cls)).nonzero()
        i = int(ok[0])
        fname = f"{i}_{slug(LABELS[cls])}.png"
        write_png_gray(os.path.join(sample_dir, fname), test_x[i])
        samples.append((fname, i, cls, float(probs[i, cls])))
        print(f"sample {fname}: {LABELS[cls]} p={probs[i, cls]:.3f}")

    # ---- README -----------------------------------------------------------
    sample_rows = "\n".join(
        f"| `samples/{fn}` | {i} | {LABELS[c]} | {p:.3f} |" for fn, i, c, p in samples)
    node_list = "\n".join(f"- `{n.name}` ({n.op_type})" for n in m.graph.node)
    readme = f"""# LayerLens demo model

`fashion_mnist_cnn.onnx` is a small convolutional network that classifies
28×28 grayscale Fashion-MNIST images into 10 clothing classes. It ships with
LayerLens so the extension can be tried without bringing a model.

Everything in this folder is generated: do not edit it by hand, rerun the script.

## How it was made

```sh
apt-get install -y python3-torch python3-onnx python3-numpy dataset-fashion-mnist
/usr/bin/python3 scripts/demo-model/train.py
node scripts/demo-model/verify.js   # checks the samples with onnxruntime-node
```

- Architecture: `features.conv1` (1→16, 3×3, pad 1) → `bn1` → ReLU → max-pool 2,
  `features.conv2` (16→32) → `bn2` → ReLU → max-pool 2, `features.conv3` (32→64) → ReLU → max-pool 2,
  flatten (64×3×3 = 576), `classifier` (linear 576→10). Batch norms are folded into
  the convolutions in the exported graph.
- Training: {args.epochs} epochs, batch size {args.batch_size}, AdamW
  (weight decay 1e-4) with a one-cycle schedule peaking at lr {args.lr},
  random horizontal flips, seed {args.seed}, CPU with `torch.set_num_threads(2)`
  (PyTorch {torch.__version__}); training took {train_seconds:.0f} s wall-clock,
  {train_cpu_seconds:.0f} s of CPU time (wall-clock depends on how busy the machine is).
- Test accuracy, measured on the full 10,000-image test set:
  **{acc_str}** ({correct}/{len(yte)}).
- Export: `torch.onnx.export` (TorchScript exporter), opset 17, eval mode,
  constant folding, input `image` `[N,1,28,28]` float32, output `logits` `[N,10]`
  (raw scores, apply softmax for probabilities), batch axis named `N`.
- Model size: {model_bytes} bytes.

## Metadata (`metadata_props` in the ONNX file)

- `labels`: the class names, also in `labels.json`
- `layerlens.preprocess`: the preprocessing, also in `preprocess.json`:
  scale pixels to [0, 1], then `(x - {mean}) / {std}` (mean and std of the
  training set), layout NCHW, 1 channel, 28×28
- `test_accuracy`: `{acc_str}`
- `description`

## Graph nodes

{node_list}

## Samples

One correctly classified image from the test set for each of 8 classes
(Coat and Shirt left out), stored as 8-bit grayscale PNGs with the original
pixel values; the file name starts with the test-set index.

| file | test index | label | model's probability |
| --- | --- | --- | --- |
{sample_rows}

## Data and licence

The data is Fashion-MNIST by Zalando Research
(<https://github.com/zalandoresearch/fashion-mnist>), © 2017 Zalando SE,
MIT licence, as installed by the Debian package `dataset-fashion-mnist`
(`/usr/share/datasets/fashion-mnist/*-idx*-ubyte.gz`). The sample images are
taken from its test set.
"""
    with open(os.path.join(args.out, "README.md"), "w") as f:
        f.write(readme)
    print("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
