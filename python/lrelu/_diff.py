"""_diff.py - DiffResult, the report lrelu.diff and lrelu.diff_arrays return.

The numbers come from the library's lrelu_diff (the command's `lrelu diff` computes them
with the same code); this class only holds them and prints them.
"""

_FIELDS = ("elements", "differ", "mask", "max_ulp", "max_abs", "max_rel", "causes", "from_",
           "to", "from_slope", "to_slope", "dtype", "backward", "shape", "indices", "match",
           "neither")


class DiffResult:
    """Where two LeakyReLU results differ in their bits, and why.

    elements    elements compared
    differ      elements whose bits differ (NaN payloads included)
    mask        bool array of the compared shape (C order), True where the bits differ:
                a NumPy array, or a torch.bool tensor when the first array given is a tensor
    max_ulp     largest difference in representable values, over the pairs of numbers
                that differ (a +-0 pair and a NaN against anything are not distances);
                None when no pair of numbers differs
    max_abs     largest |a - b| over those pairs (inf with an infinity); None likewise
    max_rel     largest |a - b| / max(|a|, |b|), in [0, 2]; None likewise
    causes      dict: each cause's key to its count, in the documented order
                (nan_vs_number, inf_vs_nan, nan_payload, signed_zero, gradient_tie,
                double_rounding, slope_rounding, different_slopes, other); they add up
                to differ
    from_, to   the two sides' frameworks; from_slope, to_slope their slopes
    dtype       'float32', 'float64', 'bfloat16' or 'float16'
    backward    True when gradients were compared
    shape       the compared shape
    indices     flat C-order indices (as numpy.flatnonzero gives them) of the first 1000
                differing elements; numpy.flatnonzero(mask) gives all of them
    match       diff_arrays with x only (else None): {'a': {'from': n, 'to': n}, 'b': ...},
                how many elements of a and of b equal each rule's result (a NaN matches
                any NaN)
    neither     likewise {'a': n, 'b': n}: elements where a (b) equals neither rule
    """

    __slots__ = _FIELDS

    def __init__(self, **fields):
        for name in _FIELDS:
            object.__setattr__(self, name, fields.pop(name))
        if fields:
            raise TypeError("DiffResult: unexpected fields %s" % sorted(fields))

    def __setattr__(self, name, value):
        raise AttributeError("DiffResult is read-only")

    def __reduce__(self):
        # Pickled by its fields (Dask's workers return results this way): the default
        # for __slots__ would restore them through the refusing __setattr__.
        return (_rebuild, (tuple(getattr(self, name) for name in _FIELDS),))

    def as_dict(self):
        """The report as the command's `lrelu diff --json` object (without the files'
        names and the mask): the same keys, 'from' for from_."""
        d = {"elements": self.elements, "differ": self.differ, "causes": dict(self.causes),
             "max_ulp": self.max_ulp, "max_abs": self.max_abs, "max_rel": self.max_rel,
             "from": self.from_, "to": self.to, "from_slope": self.from_slope,
             "to_slope": self.to_slope, "dtype": self.dtype, "backward": self.backward,
             "shape": list(self.shape)}
        if self.match is not None:
            d["match"] = {k: dict(v) for k, v in self.match.items()}
            d["neither"] = dict(self.neither)
        d["indices"] = list(self.indices)
        return d

    def __repr__(self):
        slopes = ("slope=%r" % self.from_slope if _same(self.from_slope, self.to_slope)
                  else "from_slope=%r, to_slope=%r" % (self.from_slope, self.to_slope))
        parts = ["%s vs %s" % (self.from_, self.to), slopes,
                 "%s%s" % (self.dtype, " backward" if self.backward else ""),
                 "shape=%r" % (tuple(self.shape),), "elements=%d" % self.elements,
                 "differ=%d" % self.differ]
        if self.max_ulp is not None:
            parts += ["max_ulp=%d" % self.max_ulp, "max_abs=%.6g" % self.max_abs,
                      "max_rel=%.6g" % self.max_rel]
        if self.differ:
            parts.append("causes={%s}" % ", ".join(
                "%r: %d" % (k, v) for k, v in self.causes.items() if v))
        if self.neither is not None:
            parts.append("neither=%r" % (self.neither,))
        if self.indices:
            shown = ", ".join(str(i) for i in self.indices[:8])
            parts.append("indices=[%s%s]" % (shown, ", ..." if len(self.indices) > 8 else ""))
        return "DiffResult(%s)" % ", ".join(parts)


def _rebuild(values):
    return DiffResult(**dict(zip(_FIELDS, values)))


def _same(a, b):
    return a == b or (a != a and b != b)
