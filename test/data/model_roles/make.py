#!/usr/bin/python3
"""Four small models, one per kind of output the inspector adapts its Predictions panel to, trained on the same
synthetic "shapes" pictures (circles, squares and triangles on a textured background, drawn here with numpy):

    shapes_classifier.onnx   image [1,3,64,64] -> logits [1,3]                 (which shape is largest)
    shapes_detector.onnx     image [1,3,64,64] -> scores [1,256,4] (Softmax: background + 3 shapes, one row per
                             anchor of a 16x16 grid) and boxes [1,256,4] (x0, y0, x1, y1 as fractions of the image)
    shapes_segmenter.onnx    image [1,3,64,64] -> logits [1,4,64,64]            (background + 3 shapes per pixel)
    shapes_superres.onnx     image [1,1,64,64] -> image [1,1,192,192]           (3x super-resolution, ESPCN-style)
    shapes_*.png             sample inputs (64x64 RGB) the models were not trained on

Build-time only (the extension and the tests never run Python; the .onnx and .png files are committed). Needs
Debian's packages:

    apt-get install -y python3-torch python3-onnx python3-numpy
    cd test/data/model_roles && /usr/bin/python3 make.py

Fixed seeds (one per model: `--only segmenter` rebuilds just that one, identically), CPU, two threads; 29 minutes
on a busy 2-core machine (2026-12-02). Prints each model's size and a quality number measured on fresh pictures;
that run: classifier accuracy 0.870, detector recall 0.998 (IoU > 0.5, right class, score > 0.5), segmenter mean
IoU 0.993, super-resolution PSNR 31.62 dB (nearest upsampling: 31.13 dB).
"""
import json
import os
import struct
import time
import zlib

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
SIDE = 64
SHAPES = ["circle", "square", "triangle"]
torch.set_num_threads(2)


# ---------------------------------------------------------------------------------------------- the pictures

def draw_shape(kind, cx, cy, r, size):
    """Boolean mask of one shape of 'radius' r centred at (cx, cy) on a size x size grid."""
    yy, xx = np.mgrid[0:size, 0:size] + 0.5
    if kind == 0:
        return (xx - cx) ** 2 + (yy - cy) ** 2 <= r * r
    if kind == 1:
        return (np.abs(xx - cx) <= r * 0.85) & (np.abs(yy - cy) <= r * 0.85)
    # an upright triangle: apex at the top
    top, bottom = cy - r, cy + r * 0.8
    t = (yy - top) / (bottom - top)
    return (t >= 0) & (t <= 1) & (np.abs(xx - cx) <= t * r)


def picture(rng, size=SIDE, n_max=3):
    """An RGB picture in [0,1], its per-pixel class map (0 = background) and its shapes (kind, x0, y0, x1, y1)."""
    base = rng.uniform(0.15, 0.85, 3)
    grad = rng.uniform(-0.25, 0.25, 3)
    yy, xx = np.mgrid[0:size, 0:size] / size
    img = base[None, None, :] + grad[None, None, :] * (xx[..., None] * 0.7 + yy[..., None] * 0.3)
    img += rng.normal(0, 0.04, (size, size, 3))
    cls = np.zeros((size, size), np.int64)
    shapes = []
    for _ in range(rng.integers(1, n_max + 1)):
        for _attempt in range(20):
            r = rng.uniform(0.1, 0.22) * size
            cx, cy = rng.uniform(r + 1, size - r - 1, 2)
            if all((cx - (a + c) / 2) ** 2 + (cy - (b + d) / 2) ** 2 > (r + (c - a) / 2 + 2) ** 2 for _, a, b, c, d in shapes):
                break
        kind = int(rng.integers(0, 3))
        m = draw_shape(kind, cx, cy, r, size)
        colour = rng.uniform(0, 1, 3)
        while np.abs(colour - base).sum() < 0.6:
            colour = rng.uniform(0, 1, 3)
        img[m] = colour + rng.normal(0, 0.03, (m.sum(), 3))
        cls[m] = kind + 1
        ys, xs = np.nonzero(m)
        shapes.append((kind, xs.min(), ys.min(), xs.max() + 1, ys.max() + 1))
    return np.clip(img, 0, 1).astype(np.float32), cls, shapes


def batch(rng, n, size=SIDE):
    imgs, maps, boxes = [], [], []
    for _ in range(n):
        i, c, s = picture(rng, size)
        imgs.append(i.transpose(2, 0, 1))
        maps.append(c)
        boxes.append(s)
    return torch.from_numpy(np.stack(imgs)), torch.from_numpy(np.stack(maps)), boxes


def write_png(path, rgb):
    """An 8-bit RGB PNG from an [H, W, 3] array in [0, 1] (zlib + the PNG chunk format; no imaging library)."""
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + (np.clip(rgb[y], 0, 1) * 255 + 0.5).astype(np.uint8).tobytes() for y in range(h))

    def chunk(tag, body):
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)


# ---------------------------------------------------------------------------------------------- the models

def block(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU())


class Classifier(nn.Module):
    def __init__(s):
        super().__init__()
        s.features = nn.Sequential(block(3, 16), nn.MaxPool2d(2), block(16, 32), nn.MaxPool2d(2), block(32, 48), nn.MaxPool2d(2), block(48, 64))
        s.pool = nn.AdaptiveAvgPool2d(1)
        s.classifier = nn.Linear(64, 3)

    def forward(s, x):
        return s.classifier(torch.flatten(s.pool(s.features(x)), 1))


GRID = 16  # anchors: one per cell of a 16 x 16 grid (stride 4)
ANCHOR = 0.25  # the anchor box's side, as a fraction of the image


class Detector(nn.Module):
    """SSD-style: per anchor, class logits (background + 3) and a box offset, decoded in the graph to corners."""

    def __init__(s):
        super().__init__()
        s.backbone = nn.Sequential(block(3, 16), nn.MaxPool2d(2), block(16, 32), nn.MaxPool2d(2), block(32, 48), block(48, 48))
        s.cls_head = nn.Conv2d(48, 4, 3, padding=1)
        s.box_head = nn.Conv2d(48, 4, 3, padding=1)
        c = (torch.arange(GRID, dtype=torch.float32) + 0.5) / GRID
        cy, cx = torch.meshgrid(c, c, indexing="ij")
        s.register_buffer("centres", torch.stack([cx.reshape(-1), cy.reshape(-1)], 1)[None])  # [1, A, 2]

    def raw(s, x):
        f = s.backbone(x)
        logits = s.cls_head(f).flatten(2).transpose(1, 2)  # [N, A, 4]
        offsets = s.box_head(f).flatten(2).transpose(1, 2)  # [N, A, 4]
        return logits, offsets

    def forward(s, x):
        logits, t = s.raw(x)
        scores = torch.softmax(logits, dim=2)
        centre = s.centres + t[..., :2] / GRID
        half = ANCHOR * torch.exp(t[..., 2:].clamp(-3, 3)) / 2
        boxes = torch.cat([centre - half, centre + half], dim=2)
        return scores, boxes


class Segmenter(nn.Module):
    """A two-level U-Net: logits per pixel for background and the 3 shapes."""

    def __init__(s):
        super().__init__()
        s.enc1 = block(3, 16)
        s.enc2 = block(16, 32)
        s.bottleneck = block(32, 48)
        s.up2 = nn.Upsample(scale_factor=2, mode="nearest")
        s.dec2 = block(48 + 32, 32)
        s.up1 = nn.Upsample(scale_factor=2, mode="nearest")
        s.dec1 = block(32 + 16, 16)
        s.head = nn.Conv2d(16, 4, 1)

    def forward(s, x):
        e1 = s.enc1(x)
        e2 = s.enc2(F.max_pool2d(e1, 2))
        b = s.bottleneck(F.max_pool2d(e2, 2))
        d2 = s.dec2(torch.cat([s.up2(b), e2], 1))
        d1 = s.dec1(torch.cat([s.up1(d2), e1], 1))
        return s.head(d1)


class SuperRes(nn.Module):
    """ESPCN: features at low resolution, 9 sub-pixel channels, PixelShuffle(3); plus the nearest upsampled input."""

    def __init__(s):
        super().__init__()
        s.features = nn.Sequential(nn.Conv2d(1, 32, 5, padding=2), nn.Tanh(), nn.Conv2d(32, 16, 3, padding=1), nn.Tanh())
        s.subpixel = nn.Conv2d(16, 9, 3, padding=1)
        s.shuffle = nn.PixelShuffle(3)

    def forward(s, x):
        return torch.clamp(s.shuffle(s.subpixel(s.features(x))) + F.interpolate(x, scale_factor=3, mode="nearest"), 0, 1)


# ---------------------------------------------------------------------------------------------- training

def train(model, steps, loss_fn, make_batch, lr=3e-3):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    model.train()
    t0 = time.time()
    for step in range(steps):
        loss = loss_fn(model, *make_batch())
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 100 == 0 or step == steps - 1:
            print(f"  step {step:4d}  loss {loss.item():.4f}  ({time.time() - t0:.0f} s)", flush=True)
    model.eval()
    return model


def largest(boxes):
    return torch.tensor([max(b, key=lambda s: (s[3] - s[1]) * (s[4] - s[2]))[0] for b in boxes])


def detector_targets(boxes_list):
    """Per anchor: class (0 = background) and the regression target, for anchors whose centre lies in a shape's
    inner half (so several anchors see one shape, as in real detectors: the ranked list needs suppression)."""
    n = len(boxes_list)
    cls = torch.zeros(n, GRID * GRID, dtype=torch.long)
    reg = torch.zeros(n, GRID * GRID, 4)
    c = (np.arange(GRID) + 0.5) / GRID
    for i, shapes in enumerate(boxes_list):
        for kind, x0, y0, x1, y1 in shapes:
            bx0, by0, bx1, by1 = x0 / SIDE, y0 / SIDE, x1 / SIDE, y1 / SIDE
            mx, my = (bx0 + bx1) / 2, (by0 + by1) / 2
            hw, hh = (bx1 - bx0) / 4, (by1 - by0) / 4
            for gy in range(GRID):
                for gx in range(GRID):
                    if abs(c[gx] - mx) <= max(hw, 0.5 / GRID) and abs(c[gy] - my) <= max(hh, 0.5 / GRID):
                        a = gy * GRID + gx
                        cls[i, a] = kind + 1
                        reg[i, a] = torch.tensor([(mx - c[gx]) * GRID, (my - c[gy]) * GRID, np.log((bx1 - bx0) / ANCHOR), np.log((by1 - by0) / ANCHOR)])
    return cls, reg


def detector_loss(model, x, cls, reg):
    logits, t = model.raw(x)
    weight = torch.tensor([0.2, 1.0, 1.0, 1.0])
    loss = F.cross_entropy(logits.reshape(-1, 4), cls.reshape(-1), weight=weight)
    pos = cls > 0
    return loss + (F.smooth_l1_loss(t[pos], reg[pos]) if pos.any() else 0.0)


def iou(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter + 1e-9)


# ---------------------------------------------------------------------------------------------- export

def export(model, dummy, name, inputs, outputs, meta):
    path = os.path.join(HERE, name)
    torch.onnx.export(model, dummy, path, export_params=True, opset_version=17, do_constant_folding=True, training=torch.onnx.TrainingMode.EVAL, input_names=inputs, output_names=outputs)
    m = onnx.load(path)
    m.producer_name = "layerlens test/data/model_roles/make.py (pytorch " + torch.__version__ + ")"
    del m.metadata_props[:]
    for key, value in meta.items():
        p = m.metadata_props.add()
        p.key, p.value = key, value
    onnx.checker.check_model(m)
    onnx.save(m, path)
    print(f"wrote {name}: {os.path.getsize(path):,} bytes")


def seeded(k):
    """Each model trains from its own seeds, so `--only NAME` rebuilds exactly what a full run builds."""
    torch.manual_seed(k)
    return np.random.default_rng(k), np.random.default_rng(12345 + k)


RGB_PRE = {"size": [SIDE, SIDE], "channels": 3, "range": [0, 1], "layout": "nchw"}


def build_classifier():
    rng, test_rng = seeded(1)
    rgb_pre = RGB_PRE
    print("classifier: the largest shape")
    clf = train(Classifier(), 500, lambda m, x, y: F.cross_entropy(m(x), y), lambda: (lambda x, _c, b: (x, largest(b)))(*batch(rng, 32)))
    x, _, b = batch(test_rng, 400)
    with torch.no_grad():
        acc = (clf(x).argmax(1) == largest(b)).float().mean().item()
    print(f"  accuracy on 400 fresh pictures: {acc:.3f}")
    export(clf, torch.zeros(1, 3, SIDE, SIDE), "shapes_classifier.onnx", ["image"], ["logits"], {
        "labels": json.dumps(SHAPES), "layerlens.preprocess": json.dumps(rgb_pre), "test_accuracy": f"{acc:.3f}"})


def build_detector():
    rng, test_rng = seeded(2)
    rgb_pre = RGB_PRE
    print("detector: anchors on a 16x16 grid")
    det = train(Detector(), 700, detector_loss, lambda: (lambda x, _c, b: (x, *detector_targets(b)))(*batch(rng, 24)))
    x, _, b = batch(test_rng, 200)
    with torch.no_grad():
        scores, boxes = det(x)
    hits = 0
    total = 0
    for i, shapes in enumerate(b):
        s = scores[i, :, 1:].max(1)
        for kind, x0, y0, x1, y1 in shapes:
            total += 1
            truth = (x0 / SIDE, y0 / SIDE, x1 / SIDE, y1 / SIDE)
            best = max(range(GRID * GRID), key=lambda a: s.values[a].item() if iou(boxes[i, a].tolist(), truth) > 0.5 else -1)
            hits += int(iou(boxes[i, best].tolist(), truth) > 0.5 and s.indices[best].item() == kind and s.values[best].item() > 0.5)
    recall = hits / total
    print(f"  recall (IoU > 0.5, right class, score > 0.5) on 200 fresh pictures: {recall:.3f}")
    export(det, torch.zeros(1, 3, SIDE, SIDE), "shapes_detector.onnx", ["image"], ["scores", "boxes"], {
        "labels": json.dumps(["background"] + SHAPES), "layerlens.preprocess": json.dumps(rgb_pre), "test_recall": f"{recall:.3f}"})


def build_segmenter():
    rng, test_rng = seeded(3)
    rgb_pre = RGB_PRE
    print("segmenter: a class per pixel")
    seg = train(Segmenter(), 1200, lambda m, x, c: F.cross_entropy(m(x), c), lambda: (lambda x, c, _b: (x, c))(*batch(rng, 16)))
    x, c, _ = batch(test_rng, 100)
    with torch.no_grad():
        pred = seg(x).argmax(1)
    ious = [((pred == k) & (c == k)).sum().item() / max(1, ((pred == k) | (c == k)).sum().item()) for k in range(4)]
    miou = float(np.mean(ious))
    print(f"  mean IoU on 100 fresh pictures: {miou:.3f} (per class {', '.join(f'{v:.2f}' for v in ious)})")
    export(seg, torch.zeros(1, 3, SIDE, SIDE), "shapes_segmenter.onnx", ["image"], ["logits"], {
        "labels": json.dumps(["background"] + SHAPES), "layerlens.preprocess": json.dumps(rgb_pre), "test_mean_iou": f"{miou:.3f}"})


def build_superres():
    rng, test_rng = seeded(4)
    print("super-resolution: 64x64 -> 192x192 grey")

    def sr_batch(r, n):
        hi = torch.stack([torch.from_numpy(picture(r, SIDE * 3)[0].mean(2)) for _ in range(n)])[:, None]
        return F.avg_pool2d(hi, 3), hi

    sr = train(SuperRes(), 600, lambda m, lo, hi: F.mse_loss(m(lo), hi), lambda: sr_batch(rng, 8), lr=2e-3)
    lo, hi = sr_batch(test_rng, 20)
    with torch.no_grad():
        mse = F.mse_loss(sr(lo), hi).item()
        base = F.mse_loss(F.interpolate(lo, scale_factor=3, mode="nearest"), hi).item()
    psnr, psnr_nearest = 10 * np.log10(1 / mse), 10 * np.log10(1 / base)
    print(f"  PSNR on 20 fresh pictures: {psnr:.2f} dB (nearest upsampling: {psnr_nearest:.2f} dB)")
    export(sr, torch.zeros(1, 1, SIDE, SIDE), "shapes_superres.onnx", ["image"], ["image_3x"], {
        "layerlens.preprocess": json.dumps({"size": [SIDE, SIDE], "channels": 1, "range": [0, 1], "layout": "nchw"}), "test_psnr_db": f"{psnr:.2f}"})


def build_samples():
    sample_rng = np.random.default_rng(2024)
    for i in range(3):
        img, _, shapes = picture(sample_rng)
        while len(shapes) < 2:
            img, _, shapes = picture(sample_rng)
        write_png(os.path.join(HERE, f"shapes_{i}.png"), img)
    print("wrote shapes_0.png .. shapes_2.png")


BUILDERS = {"classifier": build_classifier, "detector": build_detector, "segmenter": build_segmenter, "superres": build_superres, "samples": build_samples}

if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description="Build the role models and sample pictures of test/data/model_roles.")
    ap.add_argument("--only", choices=sorted(BUILDERS), action="append", help="build only these (repeatable)")
    for name in ap.parse_args().only or list(BUILDERS):
        BUILDERS[name]()
