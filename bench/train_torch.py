#!/usr/bin/env python3
"""The PyTorch equivalent of one Flame.Onnx training step, for `flame bench train` comparisons.

Same architecture as model-graphs/ (FLAME-MoE): RMSNorm, causal attention with rotate-half RoPE,
SwiGLU MLPs, MoE layers after the first `dense_layers` with a softmax router (fp32, top-k
probabilities as combine weights, not renormalised), a shared expert, an untied lm_head; weights
laid out [in, out]. Loss = cross-entropy + 0.01 load-balancing + 0.001 z-loss per MoE layer.
AdamW (0.9, 0.999, 1e-8, weight decay 0.01 on matrices), clipping at 1.0.

Expert dispatch is dropless and eager, as a PyTorch user writes it (Megatron-Core's SequentialMLP,
Hugging Face's Mixtral): each expert is its own parameters, its tokens are gathered by index and its
outputs added back with index_add_. `--stacked-experts` keeps the experts in one [E, in, out]
parameter per projection indexed per expert instead: each index's backward then materialises a
gradient of the whole stack, so it is the slower form (measured: docs/benchmarks.md).

Run with Debian's torch: /usr/bin/python3 bench/train_torch.py --config flame-moe-38m
"""
import argparse
import json
import math
import os
import resource
import statistics
import time

import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_config(name_or_path):
    path = name_or_path if os.path.exists(name_or_path) else os.path.join(ROOT, "model-graphs", "configs", name_or_path + ".json")
    with open(path) as f:
        c = json.load(f)
    multiple = c.get("vocab_multiple", 128)
    c["padded_vocab"] = (c["vocab_size"] + multiple - 1) // multiple * multiple
    return c


def rms_norm(x, weight, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight


def swiglu(x, fc1, fc2):
    gate, value = (x @ fc1).chunk(2, dim=-1)
    return (F.silu(gate) * value) @ fc2


class FlameMoe(torch.nn.Module):
    def __init__(self, c, stacked_experts=False):
        super().__init__()
        self.c = c
        self.stacked_experts = stacked_experts
        h, std = c["hidden"], c["init_std"]
        p = lambda *shape: torch.nn.Parameter(torch.randn(*shape) * std)
        ones = lambda n: torch.nn.Parameter(torch.ones(n))
        self.embed = p(c["padded_vocab"], h)
        self.layers = torch.nn.ModuleList()
        for i in range(c["layers"]):
            layer = torch.nn.ParameterDict({"attn_norm": ones(h), "qkv": p(h, 3 * h), "out": p(h, h), "mlp_norm": ones(h)})
            if i < c["dense_layers"] or c["experts"] == 0:
                layer.update({"fc1": p(h, 2 * c["dense_ffn"]), "fc2": p(c["dense_ffn"], h)})
            else:
                layer.update({"router": p(h, c["experts"])})
                if stacked_experts:
                    layer.update({"experts_fc1": p(c["experts"], h, 2 * c["expert_ffn"]), "experts_fc2": p(c["experts"], c["expert_ffn"], h)})
                else:
                    for e in range(c["experts"]):
                        layer.update({f"expert{e}_fc1": p(h, 2 * c["expert_ffn"]), f"expert{e}_fc2": p(c["expert_ffn"], h)})
                if c["shared_ffn"] > 0:
                    layer.update({"shared_fc1": p(h, 2 * c["shared_ffn"]), "shared_fc2": p(c["shared_ffn"], h)})
            self.layers.append(layer)
        self.final_norm = ones(h)
        self.lm_head = p(h, c["padded_vocab"])
        d = h // c["heads"]
        angles = torch.arange(c["max_seq_len"])[:, None] * c["rope_base"] ** (-2.0 * (torch.arange(d) % (d // 2)) / d)
        self.register_buffer("cos", angles.cos(), persistent=False)
        self.register_buffer("sin", angles.sin(), persistent=False)

    def attention(self, x, layer, past=None):
        """past: this layer's cached (keys, values) of earlier positions, or None; returns the output and the extended cache."""
        b, s, h = x.shape
        heads = self.c["heads"]
        d = h // heads
        offset = 0 if past is None else past[0].shape[2]
        q, k, v = (x @ layer["qkv"]).split(h, dim=-1)
        q, k, v = (t.view(b, s, heads, d).transpose(1, 2) for t in (q, k, v))
        cos, sin = self.cos[offset:offset + s], self.sin[offset:offset + s]
        rotate = lambda t: torch.cat([-t[..., d // 2:], t[..., :d // 2]], dim=-1)
        q, k = q * cos + rotate(q) * sin, k * cos + rotate(k) * sin
        if past is not None:
            k, v = torch.cat([past[0], k], dim=2), torch.cat([past[1], v], dim=2)
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(d)
        mask = torch.ones(s, offset + s, dtype=torch.bool, device=x.device).triu(1 + offset)
        y = scores.masked_fill(mask, float("-inf")).softmax(-1) @ v
        return y.transpose(1, 2).reshape(b, s, h) @ layer["out"], (k, v)

    def moe(self, x, layer, routing):
        c = self.c
        tokens = x.reshape(-1, x.shape[-1])
        logits = tokens.float() @ layer["router"]
        weights, indices = logits.softmax(-1).topk(c["top_k"], dim=-1)
        routing.append((logits, indices))
        flat = indices.reshape(-1)
        order = flat.argsort(stable=True)
        counts = torch.bincount(flat, minlength=c["experts"]).tolist()
        slot_tokens = order // c["top_k"]
        gates = weights.reshape(-1)[order]
        out = torch.zeros_like(tokens)
        start = 0
        for e, n in enumerate(counts):
            if n == 0:
                continue
            rows = slot_tokens[start:start + n]
            fc1, fc2 = (layer["experts_fc1"][e], layer["experts_fc2"][e]) if self.stacked_experts else (layer[f"expert{e}_fc1"], layer[f"expert{e}_fc2"])
            y = swiglu(tokens[rows], fc1, fc2)
            out.index_add_(0, rows, y * gates[start:start + n, None].to(y.dtype))
            start += n
        if "shared_fc1" in layer:
            out = out + swiglu(tokens, layer["shared_fc1"], layer["shared_fc2"])
        return out.view_as(x)

    def forward(self, ids, past=None):
        """Logits, the routing of each MoE layer, and the KV cache extended by these positions (past: one per layer, or None)."""
        x = self.embed[ids]
        routing, present = [], []
        eps = self.c["norm_eps"]
        for i, layer in enumerate(self.layers):
            attended, cache = self.attention(rms_norm(x, layer["attn_norm"], eps), layer, None if past is None else past[i])
            x = x + attended
            present.append(cache)
            normed = rms_norm(x, layer["mlp_norm"], eps)
            x = x + (self.moe(normed, layer, routing) if "router" in layer else swiglu(normed, layer["fc1"], layer["fc2"]))
        return rms_norm(x, self.final_norm, eps) @ self.lm_head, routing, present


def add_common_arguments(parser):
    """The options both benchmarks share."""
    parser.add_argument("--config", default="flame-moe-38m")
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--seq", type=int, default=256)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", default="fp32", choices=["fp32", "bf16"])
    parser.add_argument("--stacked-experts", action="store_true", help="one [E, in, out] parameter per expert projection (the slower form) instead of one per expert")
    parser.add_argument("--json", help="write the results here")


def seeded_model(a):
    """The config named by the arguments and its model, seeded, on their device."""
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    c = load_config(a.config)
    return c, FlameMoe(c, a.stacked_experts).to(a.device)


def peak_memory_mib(device):
    """Peak GPU memory allocated by torch on CUDA, else the process's peak RSS."""
    return torch.cuda.max_memory_allocated() >> 20 if device.startswith("cuda") else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss >> 10


def report(result, line, path):
    """Prints the result's line and writes the result as JSON to path (when given)."""
    print(line)
    if path:
        with open(path, "w") as f:
            json.dump(result, f, indent=2)


def loss_of(model, ids, targets):
    logits, routing, _ = model(ids)
    loss = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=-100)
    experts, k = model.c["experts"], model.c["top_k"]
    for router_logits, indices in routing:
        p = router_logits.softmax(-1).mean(0)
        f = torch.bincount(indices.reshape(-1), minlength=experts).float() / indices.numel()
        loss = loss + 0.01 * experts * (p * f).sum() + 0.001 * router_logits.logsumexp(-1).pow(2).mean()
    return loss


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_arguments(parser)
    parser.add_argument("--steps", type=int, default=5, help="timed steps")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps first")
    parser.add_argument("--compile", action="store_true", help="torch.compile the loss (skipped if it fails)")
    a = parser.parse_args()
    c, model = seeded_model(a)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    rest = [p for p in model.parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": rest, "weight_decay": 0.0}],
                                  lr=3e-4, betas=(0.9, 0.999), eps=1e-8)
    step_loss = loss_of
    compiled = False
    if a.compile and hasattr(torch, "compile"):
        step_loss, compiled = torch.compile(loss_of), True
    elif a.compile:
        print(f"torch {torch.__version__} has no torch.compile; running eager")

    def step(loss_fn):
        window = torch.randint(0, c["vocab_size"], (a.batch, a.seq + 1), device=a.device)
        with torch.autocast(device_type=a.device.split(":")[0], dtype=torch.bfloat16, enabled=a.dtype == "bf16"):
            loss = loss_fn(model, window[:, :-1], window[:, 1:])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        if a.device.startswith("cuda"):
            torch.cuda.synchronize()

    for _ in range(a.warmup):
        try:
            step(step_loss)
        except Exception as e:  # noqa: BLE001 - torch.compile fails lazily, at the first call: report it and go on eager
            if not compiled:
                raise
            print(f"torch.compile failed ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}); running eager")
            step_loss, compiled = loss_of, False
            step(step_loss)
    times = []
    for _ in range(a.steps):
        start = time.perf_counter()
        step(step_loss)
        times.append(time.perf_counter() - start)

    median = statistics.median(times)
    peak = peak_memory_mib(a.device)
    result = {
        "config": c["name"], "experts": "stacked" if a.stacked_experts else "separate", "batch": a.batch, "seq": a.seq, "steps": a.steps, "threads": a.threads, "device": a.device, "dtype": a.dtype,
        "compiled": compiled, "torch": torch.__version__, "ms_per_step_median": median * 1000, "ms_per_step_mean": statistics.mean(times) * 1000,
        "tokens_per_s": a.batch * a.seq / median, "peak_memory_mib": peak,
    }
    report(result, f"{c['name']} ({result['experts']} experts), batch {a.batch} x {a.seq}, {a.device} {a.dtype}{' compiled' if compiled else ''}, torch {torch.__version__}: "
           f"{median * 1000:.0f} ms/step median = {result['tokens_per_s']:.0f} tokens/s; peak {'GPU memory' if a.device.startswith('cuda') else 'RSS'} {peak} MiB", a.json)


if __name__ == "__main__":
    main()
