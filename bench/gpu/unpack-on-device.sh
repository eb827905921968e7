#!/usr/bin/env bash
# On the GPU machine: joins /tmp/flame-gpu/part* into /tmp/flame-gpu/app (flame, self-contained,
# with ONNX Runtime's CUDA build beside it) and sets the environment. Source it
# (". unpack-on-device.sh") to keep the exports; a warm machine keeps the unpacked app.
set -e
mkdir -p /tmp/flame-gpu/app
cd /tmp/flame-gpu
if [[ ! -x app/flame ]]; then
  if command -v xz >/dev/null; then cat part* | xz -d | tar -C app -xf -
  else cat part* | python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.stdin.buffer), sys.stdout.buffer)' | tar -C app -xf -; fi
  rm -f part*
fi
export FLAME=/tmp/flame-gpu/app/flame
export LD_LIBRARY_PATH=/usr/local/cuda-13.0/targets/x86_64-linux/lib:/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
"$FLAME" doctor | head -6
cd - >/dev/null
