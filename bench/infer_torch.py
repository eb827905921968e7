#!/usr/bin/env python3
"""The PyTorch equivalent of `flame bench forward --decode`: prefill and KV-cache decode tokens/s.

The model is train_torch.py's FlameMoe (same architecture and weights layout as model-graphs/).
Prefill: one forward pass over batch x seq prompt tokens. Decode: N steps of one token per
sequence, each attending to the cache. Under torch.inference_mode; bf16 via autocast.

Run with Debian's torch: /usr/bin/python3 bench/infer_torch.py --config flame-moe-38m --decode 64
"""
import argparse
import statistics
import time

import torch

from train_torch import add_common_arguments, peak_memory_mib, report, seeded_model


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_arguments(parser)  # --seq: prompt tokens per sequence
    parser.add_argument("--decode", type=int, default=64, help="tokens decoded per sequence")
    parser.add_argument("--runs", type=int, default=5, help="timed prefills")
    a = parser.parse_args()
    c, model = seeded_model(a)
    cuda = a.device.startswith("cuda")
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    ids = (torch.arange(a.batch * a.seq, device=a.device) * 7919 % c["vocab_size"]).view(a.batch, a.seq)

    with torch.inference_mode(), torch.autocast(device_type=a.device.split(":")[0], dtype=torch.bfloat16, enabled=a.dtype == "bf16"):
        model(ids)  # warm-up
        sync()
        times = []
        for _ in range(a.runs):
            start = time.perf_counter()
            _, _, cache = model(ids)
            sync()
            times.append(time.perf_counter() - start)
        prefill = statistics.median(times)

        start = time.perf_counter()
        for t in range(a.decode):
            token = ((torch.arange(a.batch, device=a.device) + t) % c["vocab_size"]).view(a.batch, 1)
            _, _, cache = model(token, cache)
        sync()
        decode = time.perf_counter() - start

    peak = peak_memory_mib(a.device)
    result = {
        "config": c["name"], "experts": "stacked" if a.stacked_experts else "separate", "batch": a.batch, "seq": a.seq, "decode": a.decode, "device": a.device, "dtype": a.dtype, "torch": torch.__version__,
        "prefill_ms_median": prefill * 1000, "prefill_tokens_per_s": a.batch * a.seq / prefill,
        "decode_ms_per_step": decode / max(1, a.decode) * 1000, "decode_tokens_per_s": a.batch * a.decode / decode if a.decode else None,
        "peak_memory_mib": peak,
    }
    report(result, f"{c['name']} ({result['experts']} experts), batch {a.batch} x {a.seq}, {a.device} {a.dtype}, torch {torch.__version__}: prefill {prefill * 1000:.0f} ms = "
           f"{result['prefill_tokens_per_s']:.0f} tokens/s; decode {result['decode_ms_per_step']:.1f} ms/step = {result['decode_tokens_per_s'] or 0:.0f} tokens/s; "
           f"peak {'GPU memory' if cuda else 'RSS'} {peak} MiB", a.json)


if __name__ == "__main__":
    main()
