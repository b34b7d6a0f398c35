#!/usr/bin/python3
"""prelu_wgrad_distance.py - PReLU weight gradient: PyTorch 1.13 at 1, 2, 4 threads and lrelu,
each against the exact sum (math.fsum of PyTorch's collector) rounded once, in ulps.

    make python; PYTHONPATH=build/python /usr/bin/python3 bench/prelu_wgrad_distance.py
"""
import torch, numpy as np, math, lrelu, lrelu.torch as LT
torch.manual_seed(1)
for dt in (torch.float32, torch.bfloat16, torch.float64):
  for shape, C in (((32, 16, 64, 64), 16), ((1<<21,), 1)):
    x = torch.randn(shape).to(dt); g = torch.randn(shape).to(dt)
    w = torch.full((C,), 0.25, dtype=dt)
    _, dw = lrelu.prelu_backward(g, x, w)
    # exact
    col = torch.where(x > 0, torch.zeros_like(x), x * g).double()
    parts = [col.reshape(-1)] if C == 1 else [col.select(1, c).reshape(-1) for c in range(C)]
    ex = torch.tensor([math.fsum(p.tolist()) for p in parts], dtype=torch.float64)
    res = []
    for nt in (1, 2, 4):
      torch.set_num_threads(nt)
      xt = x.clone().requires_grad_(); wt = w.clone().requires_grad_()
      torch.nn.functional.prelu(xt, wt).backward(g)
      d = wt.grad.double()
      exr = ex.to(dt)
      if dt == torch.float64: ulp = torch.tensor(np.spacing(np.abs(ex.numpy())))
      else:
        sp = torch.tensor(np.spacing(np.abs(exr.float().numpy())), dtype=torch.float64)
        ulp = sp * (2**16 if dt == torch.bfloat16 else 1)
      res.append(((d - ex).abs() / ulp).max().item())
    ours = ((dw.double() - ex).abs() / ulp).max().item()
    print(dt, shape, "PyTorch max |err| in ulps at 1/2/4 threads:", ["%.3g" % r for r in res], "lrelu max |err| in ulps:", ours)
