#!/usr/bin/env python3
"""PyTorch eager reference for the layer-methods section of `npm run bench` (scripts/bench/methods.mjs).

Captum cannot be installed here (no PyPI access), so this is our own implementation of **Captum's algorithm**
for each layer method, written from Captum's definitions (test/data/fixtures/layer_methods/README.md) with the
same batching and the same autograd calls Captum makes when `internal_batch_size` is None:

  lgxa                 forward with a hook on the layer (the hook hands the model a clone, as Captum's
                       forward_hook_with_return does), autograd.grad(unbind(out[:, t]), layer output), grad * A.
  activation           one no_grad forward, the hooked layer output.
  gradcam              as lgxa, then w = mean of G over dims 2.., R = sum over dim 1 of w * A (keepdim).
  internal-influence   x_k = b + a_k (x - b) for the n_steps points, concatenated into one batch of n_steps*N
                       rows (requires_grad_), one forward + one autograd.grad to the layer output,
                       R = sum_k w_k G(x_k).
  conductance          the same with n_steps + 1 points (weights ignored), one batch of (n_steps+1)*N rows,
                       R = sum_{k<n} G(x_k) * (A(x_{k+1}) - A(x_k)).
  integrated-gradients no_grad forwards for A(x) and A(b); then the real inputs x tiled n_steps times are run
                       with a forward hook that REPLACES the layer output by the interpolated layer values
                       A_b + a_k (A_x - A_b) (requires_grad_), autograd.grad to those values,
                       R = (sum_k w_k G_k) * (A_x - A_b). The whole upstream network still runs (Captum does).
  feature-ablation     no_grad throughout: A(x) (one forward), the initial eval (a forward whose hook hands
                       back A(x)), then for each run of perturbations_per_eval groups: A tiled per group with the
                       group's elements set to the layer baseline, x tiled the same, one forward whose hook
                       replaces the layer output; R += (F(x) - F(ablated)) * mask_g.

internal_batch_size (Captum's _batch_attribution): the points in chunks of internal_batch_size // N (conductance: at
least 2, chunks overlapping by one point), each chunk one Captum _attribute; the bench times it as an extra column.

Integration points: gausslegendre = numpy leggauss (alphas (1+t)/2, weights v/2); riemann_* = torch.linspace in
float32; weights enter as float32 (the fixtures' definition of Captum 0.8).

Standalone:  python3 scripts/bench/torch_methods.py --method integrated-gradients --batch 1 --repeats 3
             -> one JSON object on stdout.
Serve mode:  python3 scripts/bench/torch_methods.py --serve   (one JSON command per stdin line, one reply per line)
  {"cmd":"setup","model":"resnet18","layer":"layer3","batch":8,"threads":1,"target":3,"variant":1,
   "method":"conductance","n_steps":50,"integration":"gausslegendre","perturbations_per_eval":16,
   "layer_mask":"channel","warmup":1}
  {"cmd":"run","repeats":1}                 -> {"times_ms":[...]}  (keeps the last result)
  {"cmd":"dump","path":"/tmp/x.f32"}        -> writes the last result (float32, C order) and its dims
  {"cmd":"run_with","repeats":1,"spec":{"internal_batch_size":13}}  -> {"times_ms":[...]} with spec entries changed
  {"cmd":"jitter","eps":[2.4e-7,9.5e-7]}    -> max |R(x(1+eps)) - R(x)| / max |R(x)| per eps (PyTorch's own noise floor)
  {"cmd":"mem","reset":true}                -> peak/current RSS
  {"cmd":"quit"}
"""
import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402
import torch  # noqa: E402

from make_models import bench_input, build_model  # noqa: E402
from torch_bench import blas_libs, mem, set_blas_threads  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
METHODS = ["lgxa", "activation", "gradcam", "internal-influence", "conductance", "integrated-gradients", "feature-ablation"]


# ---------------------------------------------------------------------------------------- integration points
def integration_points(rule, n):
    """(alphas, weights) of Captum's approximation methods, as Python floats."""
    if rule == "gausslegendre":
        t, v = np.polynomial.legendre.leggauss(n)
        return [float(a) for a in 0.5 * (1 + t)], [float(w) for w in 0.5 * v]
    if n < 2:
        raise ValueError("riemann rules need n_steps >= 2")
    lin = {
        "riemann_left": (0.0, 1 - 1 / n),
        "riemann_right": (1 / n, 1.0),
        "riemann_middle": (1 / (2 * n), 1 - 1 / (2 * n)),
        "riemann_trapezoid": (0.0, 1.0),
    }[rule]
    alphas = torch.linspace(lin[0], lin[1], n, dtype=torch.float32).tolist()
    weights = [1 / n] * n
    if rule == "riemann_trapezoid":
        weights[0] /= 2
        weights[-1] /= 2
    return alphas, weights


def reshape_and_sum(t, n_points, n, shape):
    """Captum's _reshape_and_sum: rows ordered point-major (point k's N examples together), summed over points."""
    return t.reshape((n_points, n) + tuple(shape)).sum(dim=0)


# --------------------------------------------------------------------------------------------- the methods
class Methods:
    """Captum's algorithms on one model and layer; each call returns the attribution tensor."""

    def __init__(self, model, layer, target):
        self.m = model
        self.layer = model.get_submodule(layer)
        self.target = target

    def _select(self, out):
        return out[:, self.target]

    def _hooked(self, fn):
        h = self.layer.register_forward_hook(fn)
        return h

    def layer_eval(self, x):
        """Captum's _forward_layer_eval: a whole no_grad forward, the layer's output (cloned) saved."""
        saved = {}

        def hook(_m, _i, out):
            saved["a"] = out.clone()

        h = self._hooked(hook)
        try:
            with torch.no_grad():
                out = self.m(x)
        finally:
            h.remove()
        return saved["a"], out

    def grads_and_eval(self, x):
        """Captum's compute_layer_gradients_and_eval: the hook saves the layer output and hands back a clone;
        autograd.grad of the unbound target outputs w.r.t. the saved output."""
        saved = {}

        def hook(_m, _i, out):
            saved["a"] = out
            return out.clone()

        h = self._hooked(hook)
        try:
            with torch.enable_grad():
                out = self._select(self.m(x))
                (g,) = torch.autograd.grad(torch.unbind(out), saved["a"])
        finally:
            h.remove()
        return g, saved["a"]

    # ---- gradient methods
    def lgxa(self, x, _spec):
        g, a = self.grads_and_eval(x)
        return g * a

    def activation(self, x, _spec):
        return self.layer_eval(x)[0]

    def gradcam(self, x, spec):
        g, a = self.grads_and_eval(x)
        w = g.mean(dim=tuple(range(2, g.dim())), keepdim=True) if g.dim() > 2 else g
        r = (w * a).sum(dim=1, keepdim=True) if spec.get("dim_sum", True) else w * a
        return torch.relu(r) if spec.get("relu_attributions") else r

    # ---- path methods: Captum's _attribute on a list of points, and _batch_attribution's chunking around it
    def _points(self, spec, n_points, include_endpoint=False):
        """Chunks of (alphas, weights) to evaluate: all points in one batch when internal_batch_size is None, else
        Captum's _batch_attribution: internal_batch_size // N points per chunk (at least 2 with an endpoint,
        i.e. conductance, whose chunks overlap by one point)."""
        alphas, weights = integration_points(spec["integration"], n_points)
        ibs = spec.get("internal_batch_size")
        if not ibs:
            return [(alphas, weights)]
        step_count = max(1, ibs // spec["n"])
        if include_endpoint:
            step_count = max(2, step_count)
        chunks, start = [], 0
        while start < n_points:
            end = min(start + step_count, n_points)
            chunks.append((alphas[start:end], weights[start:end]))
            start = end - 1 if include_endpoint and end < n_points else end
        return chunks

    def _internal_influence(self, x, alphas, weights):
        b = torch.zeros_like(x)
        k = len(alphas)
        scaled = torch.cat([b + a * (x - b) for a in alphas], dim=0).requires_grad_()
        g, _ = self.grads_and_eval(scaled)
        scaled_g = g.contiguous().view(k, -1) * torch.tensor(weights, dtype=torch.float32).view(k, 1)
        return reshape_and_sum(scaled_g, k, x.shape[0], g.shape[1:])

    def internal_influence(self, x, spec):
        return sum_parts(self._internal_influence(x, a, w) for a, w in self._points({**spec, "n": x.shape[0]}, spec["n_steps"]))

    def _conductance(self, x, alphas):
        n = x.shape[0]
        b = torch.zeros_like(x)
        scaled = torch.cat([b + a * (x - b) for a in alphas], dim=0).requires_grad_()
        g, a = self.grads_and_eval(scaled)
        diffs = a[n:] - a[:-n]
        return reshape_and_sum(diffs * g[:-n], len(alphas) - 1, n, a.shape[1:])

    def conductance(self, x, spec):
        # n_steps + 1 points of the rule, weights ignored.
        chunks = self._points({**spec, "n": x.shape[0]}, spec["n_steps"] + 1, include_endpoint=True)
        return sum_parts(self._conductance(x, a) for a, _w in chunks)

    def _ig_gradients(self, x, a_x, a_b, alphas, weights):
        k = len(alphas)
        scaled = torch.cat([a_b + al * (a_x - a_b) for al in alphas], dim=0).requires_grad_()
        x_tiled = torch.cat([x] * k, dim=0)

        def hook(_m, _i, _out):
            return scaled

        h = self._hooked(hook)
        try:
            with torch.enable_grad():
                out = self._select(self.m(x_tiled))
                (g,) = torch.autograd.grad(torch.unbind(out), scaled)
        finally:
            h.remove()
        scaled_g = g.contiguous().view(k, -1) * torch.tensor(weights, dtype=torch.float32).view(k, 1)
        return reshape_and_sum(scaled_g, k, x.shape[0], g.shape[1:])

    def integrated_gradients(self, x, spec):
        a_x, _ = self.layer_eval(x)
        a_b, _ = self.layer_eval(torch.zeros_like(x))
        chunks = self._points({**spec, "n": x.shape[0]}, spec["n_steps"])
        total = sum_parts(self._ig_gradients(x, a_x, a_b, a, w) for a, w in chunks)
        return total * (a_x - a_b) if spec.get("multiply_by_inputs", True) else total

    def feature_ablation(self, x, spec):
        n = x.shape[0]
        ppe = spec.get("perturbations_per_eval", 1)
        base = spec.get("layer_baseline", 0.0)
        with torch.no_grad():
            a, _ = self.layer_eval(x)
            mask = spec["mask_fn"](a)  # int64 ids, broadcastable to a
            ids = int(mask.max().item())
            lo = int(mask.min().item())
            replacement = {}

            def hook(_m, _i, _out):
                return replacement["a"]

            h = self._hooked(hook)
            try:
                replacement["a"] = a
                f_x = self._select(self.m(x))  # Captum's initial eval (a forward through the hook)
                total = torch.zeros_like(a)
                for start in range(lo, ids + 1, ppe):
                    k = min(ppe, ids + 1 - start)
                    cur = torch.stack([mask == j for j in range(start, start + k)], dim=0).long()  # [k, *mask]
                    expanded = torch.cat([a] * k, dim=0).reshape((k, n) + tuple(a.shape[1:]))
                    ablated = expanded * (1 - cur).to(a.dtype) + base * cur.to(a.dtype)
                    replacement["a"] = ablated.reshape((-1,) + tuple(a.shape[1:]))
                    f_abl = self._select(self.m(torch.cat([x] * k, dim=0)))
                    diff = (f_x - f_abl.reshape(k, n)).reshape((k, n) + (a.dim() - 1) * (1,))
                    total += (diff * cur.to(a.dtype)).sum(dim=0)
            finally:
                h.remove()
        return total

    def attribute(self, x, spec):
        fn = getattr(self, spec["method"].replace("-", "_"))
        return fn(x, spec)


def sum_parts(parts):
    total = None
    for p in parts:
        total = p if total is None else total + p
    return total


def channel_mask(a):
    """layer_mask grouping by channel: shape [1, C, 1, 1], ids 0..C-1."""
    return torch.arange(a.shape[1], dtype=torch.int64).reshape((1, a.shape[1]) + (a.dim() - 2) * (1,))


# ------------------------------------------------------------------------------------------------ serving
class Bench:
    def __init__(self, models_dir):
        self.models_dir = models_dir
        self.models = {}
        self.last = None

    def model(self, kind):
        if kind not in self.models:
            self.models.clear()
            t0 = time.perf_counter()
            m = build_model(kind)
            m.load_state_dict(torch.load(os.path.join(self.models_dir, f"{kind}.pt")))
            m.eval()
            self.models[kind] = (m, (time.perf_counter() - t0) * 1000)
        return self.models[kind]

    def setup(self, c):
        torch.set_num_threads(int(c["threads"]))
        set_blas_threads(c["threads"])
        m, load_ms = self.model(c.get("model", "resnet18"))
        method = c["method"]
        if method not in METHODS:
            raise ValueError(f"unknown method {method!r}")
        self.spec = {
            "method": method,
            "n_steps": int(c.get("n_steps", 50)),
            "integration": c.get("integration", "gausslegendre"),
            "perturbations_per_eval": int(c.get("perturbations_per_eval", 1)),
            "layer_baseline": float(c.get("layer_baseline", 0.0)),
            "mask_fn": channel_mask if c.get("layer_mask", "channel") == "channel" else None,
            "internal_batch_size": c.get("internal_batch_size"),
        }
        self.methods = Methods(m, c.get("layer", "layer3"), int(c.get("target", 3)))
        self.x = bench_input(int(c["batch"]), int(c.get("variant", 1)))
        self.last = None
        times = self.run(int(c.get("warmup", 1)))
        return {"load_ms": load_ms, "threads": torch.get_num_threads(), "blas": blas_libs(), "warmup_ms": times}

    def once(self):
        self.last = None  # the previous result does not stay alive across the timed call
        t0 = time.perf_counter()
        r = self.methods.attribute(self.x, self.spec)
        t = (time.perf_counter() - t0) * 1000
        self.last = r.detach()
        return t

    def run(self, repeats):
        return [self.once() for _ in range(repeats)]

    def time_with(self, repeats, **overrides):
        """Timed calls with some spec entries changed (e.g. internal_batch_size), the setup's spec kept."""
        saved = self.spec
        self.spec = {**saved, **overrides}
        try:
            out = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                r = self.methods.attribute(self.x, self.spec)
                out.append((time.perf_counter() - t0) * 1000)
                rel = ((r.detach() - self.last).abs().max() / self.last.abs().max()).item() if self.last is not None else None
                del r
            return {"times_ms": out, "max_rel_vs_last": rel}
        finally:
            self.spec = saved

    def jitter(self, eps_list):
        """How far PyTorch's own float32 result moves when the input is scaled by (1 + eps): the noise floor of a
        method at this input (path methods jump where a ReLU downstream of the layer sits within float32 rounding
        of its kink at one of the points)."""
        if self.last is None:
            self.once()
        ref = self.last
        scale = ref.abs().max().item() or 1.0
        out = {}
        for eps in eps_list:
            r = self.methods.attribute(self.x * (1 + eps), self.spec).detach()
            out[str(eps)] = (r - ref).abs().max().item() / scale
        return {"max_rel_change": out}

    def dump(self, path):
        if self.last is None:
            self.once()
        a = self.last.contiguous()
        with open(path, "wb") as f:
            f.write(a.numpy().astype("float32").tobytes())
        return {"dims": list(a.shape)}


def serve(b):
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            c = json.loads(line)
            cmd = c.get("cmd")
            if cmd == "setup":
                r = b.setup(c)
            elif cmd == "run":
                r = {"times_ms": b.run(c.get("repeats", 1))}
            elif cmd == "dump":
                r = b.dump(c["path"])
            elif cmd == "run_with":
                r = b.time_with(c.get("repeats", 1), **c.get("spec", {}))
            elif cmd == "jitter":
                r = b.jitter(c.get("eps", [2 ** -22, 2 ** -20]))
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
    ap.add_argument("--method", default="lgxa", choices=METHODS)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--layer", default="layer3")
    ap.add_argument("--target", type=int, default=3)
    ap.add_argument("--n-steps", type=int, default=50)
    ap.add_argument("--integration", default="gausslegendre")
    ap.add_argument("--perturbations-per-eval", type=int, default=16)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    args = ap.parse_args()
    b = Bench(args.models)
    if args.serve:
        serve(b)
        return
    s = b.setup({
        "model": "resnet18", "layer": args.layer, "batch": args.batch, "threads": args.threads, "target": args.target,
        "method": args.method, "n_steps": args.n_steps, "integration": args.integration,
        "perturbations_per_eval": args.perturbations_per_eval, "warmup": args.warmup,
    })
    times = b.run(max(1, args.repeats))
    print(json.dumps({
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"), "method": args.method, "batch": args.batch,
        "threads": args.threads, "layer": args.layer, "torch": torch.__version__, "load_ms": s["load_ms"],
        "warmup_ms": s["warmup_ms"], "median_ms": statistics.median(times), "times_ms": times,
        "loadavg": list(os.getloadavg()), "blas": blas_libs(), **mem(),
    }))


if __name__ == "__main__":
    main()
