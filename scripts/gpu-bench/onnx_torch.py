"""Runs grokcat's ONNX model graph with PyTorch, op by op, so its throughput can be measured on a
GPU where ONNX Runtime's CUDA provider is not installed. Covers the operators grokcat's exporter
emits (Conv, Clip, Add, GeM pooling's Max/Pow/ReduceMean/Reciprocal, Gemm, LpNormalization,
Softmax, Sigmoid); anything else raises. Checked against ONNX Runtime in bench.py."""
import onnx
import onnx.numpy_helper
import torch
import torch.nn.functional as F


def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


class OnnxModule(torch.nn.Module):
    def __init__(self, path, device, dtype=torch.float32):
        super().__init__()
        model = onnx.load(path)
        self.nodes = list(model.graph.node)
        self.inputs = [i.name for i in model.graph.input]
        self.outputs = [o.name for o in model.graph.output]
        self.weights = {
            t.name: torch.from_numpy(onnx.numpy_helper.to_array(t).copy()).to(device=device, dtype=dtype)
            for t in model.graph.initializer
        }

    def forward(self, x):
        v = dict(self.weights)
        v[self.inputs[0]] = x
        for n in self.nodes:
            a = _attrs(n)
            i = [v[name] if name else None for name in n.input]
            op = n.op_type
            if op == 'Conv':
                pads = a.get('pads', [0, 0, 0, 0])
                if pads[0] == pads[2] and pads[1] == pads[3]:
                    out = F.conv2d(i[0], i[1], i[2] if len(i) > 2 else None, a.get('strides', [1, 1]),
                                   (pads[0], pads[1]), a.get('dilations', [1, 1]), a.get('group', 1))
                else:  # asymmetric padding: pad explicitly (left, right, top, bottom)
                    x_ = F.pad(i[0], (pads[1], pads[3], pads[0], pads[2]))
                    out = F.conv2d(x_, i[1], i[2] if len(i) > 2 else None, a.get('strides', [1, 1]),
                                   0, a.get('dilations', [1, 1]), a.get('group', 1))
            elif op == 'Clip':
                lo = i[1] if len(i) > 1 and i[1] is not None else None
                hi = i[2] if len(i) > 2 and i[2] is not None else None
                out = torch.clamp(i[0], min=None if lo is None else float(lo), max=None if hi is None else float(hi))
            elif op == 'Add':
                out = i[0] + i[1]
            elif op == 'Max':
                out = torch.maximum(i[0], i[1])
            elif op == 'Pow':
                out = torch.pow(i[0], i[1])
            elif op == 'Reciprocal':
                out = torch.reciprocal(i[0])
            elif op == 'ReduceMean':
                out = torch.mean(i[0], dim=tuple(a['axes']), keepdim=bool(a.get('keepdims', 1)))
            elif op == 'Gemm':
                b = i[1].t() if a.get('transB', 0) else i[1]
                aa = i[0].t() if a.get('transA', 0) else i[0]
                out = a.get('alpha', 1.0) * (aa @ b)
                if len(i) > 2 and i[2] is not None:
                    out = out + a.get('beta', 1.0) * i[2]
            elif op == 'LpNormalization':
                out = F.normalize(i[0], p=a.get('p', 2), dim=a.get('axis', -1))
            elif op == 'Softmax':
                out = torch.softmax(i[0], dim=a.get('axis', -1))
            elif op == 'Sigmoid':
                out = torch.sigmoid(i[0])
            else:
                raise NotImplementedError(op)
            v[n.output[0]] = out
        return tuple(v[o] for o in self.outputs)
