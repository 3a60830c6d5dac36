"""grokcat's model on a GPU with PyTorch (ONNX Runtime's CUDA provider is not in onnxruntime-node):
the ONNX graph run op by op (onnx_torch.py), checked against ONNX Runtime on the CPU, then images/s
by precision and batch. Writes the JSON the benchmark report reads (docs/benchmarks/gpu.json).
Usage: python3 bench.py model.onnx out.json [webgpu.json]"""
import datetime
import json
import os
import subprocess
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from onnx_torch import OnnxModule  # noqa: E402

model_path, out_path = sys.argv[1], sys.argv[2]
webgpu = json.load(open(sys.argv[3])) if len(sys.argv) > 3 and os.path.exists(sys.argv[3]) else None
dev = torch.device(os.environ.get('GPU_BENCH_DEVICE', 'cuda'))
BATCHES = [int(b) for b in os.environ.get('GPU_BENCH_BATCHES', '1,32,128,512').split(',')]
sync = torch.cuda.synchronize if dev.type == 'cuda' else (lambda: None)
notes = []

x_ref = np.sin(np.arange(2 * 3 * 224 * 224, dtype=np.float64) * 0.001).astype(np.float32).reshape(2, 3, 224, 224)
try:
    import onnxruntime as ort
    sess = ort.InferenceSession(model_path, providers=['CPUExecutionProvider'])
    ref = sess.run(['embedding'], {'image': x_ref})[0]
    notes.append('python onnxruntime %s providers there: %s' % (ort.__version__, ', '.join(ort.get_available_providers())))
except Exception as error:  # noqa: BLE001
    ref = None
    notes.append('no python onnxruntime to check against: %s' % error)

results = []
for precision in ['fp32', 'tf32', 'bf16']:
    torch.backends.cudnn.allow_tf32 = precision == 'tf32'
    torch.backends.cuda.matmul.allow_tf32 = precision == 'tf32'
    dtype = torch.bfloat16 if precision == 'bf16' else torch.float32
    m = OnnxModule(model_path, dev, dtype)
    with torch.no_grad():
        x = torch.from_numpy(x_ref).to(dev, dtype)
        emb = m(x)[0].float().cpu().numpy()
        if ref is not None:
            notes.append('%s: embedding max |torch on GPU - onnxruntime on CPU| = %.2e' % (precision, float(np.abs(emb - ref).max())))
        for batch in BATCHES:
            xb = torch.randn(batch, 3, 224, 224, device=dev, dtype=dtype).contiguous(memory_format=torch.channels_last)
            for _ in range(3):
                m(xb)
            sync()
            runs = max(5, 2048 // batch)
            t = time.perf_counter()
            for _ in range(runs):
                m(xb)
            sync()
            img_s = runs * batch / (time.perf_counter() - t)
            results.append({'framework': 'PyTorch %s eager (the ONNX graph op by op)' % torch.__version__.split('+')[0],
                            'precision': precision, 'batch': batch, 'img_s': round(img_s),
                            'note': 'input already on the GPU'})
            print(json.dumps(results[-1]), flush=True)

# What feeding it costs: one batch of 512 images copied from host memory (pinned) each run.
big = BATCHES[-1]
host = torch.randn(big, 3, 224, 224, dtype=torch.float32)
if dev.type == 'cuda':
    host = host.pin_memory()
m = OnnxModule(model_path, dev, torch.bfloat16)
with torch.no_grad():
    sync()
    t = time.perf_counter()
    for _ in range(4):
        m(host.to(dev, non_blocking=True).to(torch.bfloat16).contiguous(memory_format=torch.channels_last))
    sync()
    results.append({'framework': 'PyTorch eager', 'precision': 'bf16', 'batch': big,
                    'img_s': round(4 * big / (time.perf_counter() - t)),
                    'note': 'fp32 input copied from pinned host memory each batch'})

gpu = torch.cuda.get_device_name(0) if dev.type == 'cuda' else 'cpu (local check)'
try:
    driver = subprocess.run(['nvidia-smi', '--query-gpu=driver_version', '--format=csv,noheader'],
                            capture_output=True, text=True, timeout=20).stdout.strip()
except Exception:  # noqa: BLE001
    driver = ''
report = {
    'machine': {'gpu': gpu, 'driver': driver, 'cpu_cores': os.cpu_count(), 'date': datetime.datetime.utcnow().isoformat() + 'Z'},
    'command': 'scripts/gpu-bench/run.sh (device machine)',
    'results': results,
    'notes': notes,
}
if webgpu is not None:
    report['onnxruntime_webgpu'] = webgpu
json.dump(report, open(out_path, 'w'), indent=1)
print(json.dumps(report))
