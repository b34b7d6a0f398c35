"""rrelu_train_ab.py - lrelu_rrelu_train against PyTorch's F.rrelu(training=True), float32, one thread,
alternated call by call in one process (ctypes).  Usage: python3 bench/rrelu_train_ab.py build/liblrelu.so"""
import ctypes, time, statistics, sys, torch, numpy as np
torch.set_num_threads(1)
L = ctypes.CDLL(sys.argv[1])
class T(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("dtype", ctypes.c_int), ("ndim", ctypes.c_int),
                ("shape", ctypes.POINTER(ctypes.c_int64)), ("strides", ctypes.POINTER(ctypes.c_int64)),
                ("scale", ctypes.c_double), ("zero_point", ctypes.c_int32)]
gen = ctypes.create_string_buffer(8 + 4 + 4 + 624 * 4)
L.lrelu_generator_seed(gen, ctypes.c_uint64(0))
L.lrelu_rrelu_train.argtypes = [ctypes.c_void_p, ctypes.c_double, ctypes.c_double, ctypes.POINTER(T), ctypes.POINTER(T), ctypes.POINTER(T)]
F32 = 0  # LRELU_FLOAT32
for n in (16384, 262144, 4194304):
    x = ((np.arange(n, dtype=np.int64) * 2654435761 % 2001 - 1000) / 100).astype(np.float32)
    y = np.empty_like(x); r = np.empty_like(x); xt = torch.from_numpy(x)
    shape = (ctypes.c_int64 * 1)(n)
    mk = lambda a: T(a.ctypes.data, F32, 1, shape, None, 0.0, 0)
    tx, ty, tr = mk(x), mk(y), mk(r)
    a, b = [], []
    reps = 21 if n < 4000000 else 7
    for k in range(reps):
        t0 = time.perf_counter_ns(); st = L.lrelu_rrelu_train(gen, 0.125, 1/3, ctypes.byref(tx), ctypes.byref(ty), ctypes.byref(tr)); a.append(time.perf_counter_ns() - t0)
        assert st == 0
        t0 = time.perf_counter_ns(); torch.nn.functional.rrelu(xt, 0.125, 1/3, training=True); b.append(time.perf_counter_ns() - t0)
    ma, mb = statistics.median(a), statistics.median(b)
    print(f"{n}\tlrelu {ma/1e3:.0f} us\ttorch {mb/1e3:.0f} us\tratio {ma/mb:.2f}")
