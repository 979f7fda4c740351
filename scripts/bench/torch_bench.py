#!/usr/bin/env python3
"""PyTorch eager autograd reference for `npm run bench`: Layer Gradient x Activation the way Captum computes it.

One measured run = forward (eval mode, grad enabled); torch.autograd.grad of out[:, t].sum() w.r.t. the layer
OUTPUT captured by a forward hook (or its INPUT, by a forward pre-hook, with "layer_input": true); grad * activation. Median of >= 7 runs after 2 warm-ups (1 when a run takes > 2 s);
torch.set_num_threads(threads). Weights: the state dict make_models.py saved next to the ONNX export.

Standalone:  python3 scripts/bench/torch_bench.py --model resnet18 --batch 8 --threads 1 --layer layer3 --repeats 9
             -> one JSON object on stdout.
Serve mode:  python3 scripts/bench/torch_bench.py --serve   (one JSON command per stdin line, one JSON reply per
             line; bench.mjs uses it to interleave PyTorch runs with onnxruntime runs in one invocation)
  {"cmd":"setup","model":"resnet18","batch":8,"threads":1,"layer":"layer3","target":3,"warmup":2}
                                            (optional "layer_input": true — attribute to the layer's input;
                                             "clone": true — the hook keeps the output and passes on a copy, so an
                                             in-place op after the layer (ReLU(inplace=True) after a BN the ONNX
                                             exporter folded into its conv) does not change the kept tensor)
  {"cmd":"run","repeats":3}                 -> {"times_ms":[...]}
  {"cmd":"forward","repeats":3}             -> {"times_ms":[...]}   (no_grad forward only, for context)
  {"cmd":"dump","variant":0,"path":"/tmp/x.f32"}  -> writes the attribution for bench_input(batch, variant) as float32
  {"cmd":"mem","reset":true}                -> peak/current RSS (reset: clears VmHWM first, when the kernel allows)
  {"cmd":"quit"}
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch  # noqa: E402

from make_models import LAYERS, MODELS, bench_input, build_model  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def proc_status():
    out = {}
    try:
        with open("/proc/self/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "VmHWM"):
                    out[k] = int(v.split()[0]) / 1024.0  # MiB
    except OSError:
        pass
    return out


def blas_libs():
    """The BLAS/LAPACK libraries this process mapped (Debian's default is the slow reference BLAS)."""
    libs = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                p = line.split()[-1]
                if "blas" in p or "lapack" in p or "mkl" in p:
                    libs.add(os.path.realpath(p))
    except OSError:
        pass
    return sorted(libs)


def set_blas_threads(threads):
    """OpenBLAS runs its own thread pool (all cores by default): give it the same thread count as torch."""
    import ctypes
    for lib in blas_libs():
        if "openblas" in lib:
            try:
                ctypes.CDLL(lib).openblas_set_num_threads(int(threads))
            except (OSError, AttributeError):
                pass


def reset_hwm():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


class Bench:
    def __init__(self, models_dir):
        self.models_dir = models_dir
        self.models = {}
        self.cfg = None

    def model(self, kind):
        if kind not in self.models:
            self.models.clear()  # one model in memory at a time, so peak RSS belongs to this model
            t0 = time.perf_counter()
            m = build_model(kind)
            m.load_state_dict(torch.load(os.path.join(self.models_dir, f"{kind}.pt")))
            m.eval()
            self.models[kind] = (m, (time.perf_counter() - t0) * 1000)
        return self.models[kind]

    def setup(self, model, batch, threads, layer, target, warmup=2, layer_input=False, clone=False):
        torch.set_num_threads(threads)
        set_blas_threads(threads)
        m, load_ms = self.model(model)
        for h in getattr(self, "hooks", []):
            h.remove()
        self.saved = {}

        def hook(_mod, _inp, out):
            self.saved["act"] = out
            if clone:
                return out.clone()

        def pre_hook(_mod, inp):
            self.saved["act"] = inp[0]

        mod = m.get_submodule(layer)
        self.hooks = [mod.register_forward_pre_hook(pre_hook) if layer_input else mod.register_forward_hook(hook)]
        self.cfg = dict(model=model, batch=batch, threads=threads, layer=layer, target=target, layer_input=layer_input)
        self.m = m
        self.x = bench_input(batch, 0)
        done = 0
        self.last_warmup = []
        for _ in range(warmup):
            t = self.once()
            self.last_warmup.append(t)
            done += 1
            if t > 2000:  # a multi-second run is warm after one (keeps reference-BLAS ViT runs affordable)
                break
        return {"load_ms": load_ms, "threads": torch.get_num_threads(), "blas": blas_libs(), "warmups": done, "warmup_ms": self.last_warmup}

    def attribution(self, x):
        out = self.m(x)
        act = self.saved.pop("act")
        assert act.requires_grad, "layer output does not require grad (no_grad on?)"
        (grad,) = torch.autograd.grad(out[:, self.cfg["target"]].sum(), act)
        return grad * act

    def once(self):
        t0 = time.perf_counter()
        a = self.attribution(self.x)
        t = (time.perf_counter() - t0) * 1000
        del a
        return t

    def run(self, repeats):
        return [self.once() for _ in range(repeats)]

    def forward(self, repeats):
        times = []
        with torch.no_grad():
            for _ in range(repeats):
                t0 = time.perf_counter()
                self.m(self.x)
                times.append((time.perf_counter() - t0) * 1000)
        self.saved.clear()
        return times

    def dump(self, variant, path):
        a = self.attribution(bench_input(self.cfg["batch"], variant)).detach().contiguous()
        with open(path, "wb") as f:
            f.write(a.numpy().astype("float32").tobytes())
        return {"dims": list(a.shape)}


def mem(reset=False):
    r = {"ru_maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, **proc_status()}
    if reset:
        r["hwm_reset"] = reset_hwm()
    return r


def serve(b):
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            c = json.loads(line)
            cmd = c.get("cmd")
            if cmd == "setup":
                r = b.setup(c["model"], c["batch"], c["threads"], c["layer"], c.get("target", 3), c.get("warmup", 2), c.get("layer_input", False), c.get("clone", False))
            elif cmd == "run":
                r = {"times_ms": b.run(c.get("repeats", 1))}
            elif cmd == "forward":
                r = {"times_ms": b.forward(c.get("repeats", 1))}
            elif cmd == "dump":
                r = b.dump(c.get("variant", 0), c["path"])
            elif cmd == "mem":
                r = mem(c.get("reset", False))
            elif cmd == "quit":
                print(json.dumps({"ok": True}), flush=True)
                return
            else:
                raise ValueError(f"unknown command {cmd!r}")
            print(json.dumps({"ok": True, **r}), flush=True)
        except Exception as e:  # report, keep serving
            print(json.dumps({"ok": False, "error": f"{type(e).__name__}: {e}"}), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default=os.path.join(ROOT, "bench", "models"))
    ap.add_argument("--serve", action="store_true")
    ap.add_argument("--model", default="resnet18", choices=list(MODELS))
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--layer", default=None)
    ap.add_argument("--target", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=9)
    ap.add_argument("--warmup", type=int, default=2)
    args = ap.parse_args()
    b = Bench(args.models)
    if args.serve:
        serve(b)
        return
    layer = args.layer or LAYERS[args.model]
    setup = b.setup(args.model, args.batch, args.threads, layer, args.target, args.warmup)
    times = b.run(max(7, args.repeats))
    fwd = b.forward(max(3, args.repeats // 2))
    print(json.dumps({
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
        "model": args.model, "batch": args.batch, "threads": args.threads, "layer": layer, "target": args.target,
        "torch": torch.__version__, "load_ms": setup["load_ms"],
        "median_ms": statistics.median(times), "times_ms": times,
        "forward_median_ms": statistics.median(fwd),
        "loadavg": list(os.getloadavg()), "blas": blas_libs(), **mem(),
    }))


if __name__ == "__main__":
    main()
