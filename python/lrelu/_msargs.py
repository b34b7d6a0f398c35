"""The argument checks of mindspore.nn.LeakyReLU, shared by its two stand-ins (the PyTorch
module lrelu.torch.MindSporeLeakyReLU and lrelu.mindspore.nn.LeakyReLU)."""
from . import _lrelu


def check(name, alpha, kwargs):
    """TypeError for an `inplace` (the seed's rule: assign the output instead), any other
    keyword, and an alpha MindSpore's validator refuses: check_value_type('alpha', alpha,
    [float, int]) (a bool is refused although it is an int)."""
    if "inplace" in kwargs:
        raise TypeError(_lrelu._module_refusal(1, 0.2, True))
    if kwargs:
        raise TypeError("%s() got an unexpected keyword argument '%s'" % (name, next(iter(kwargs))))
    if isinstance(alpha, bool) or not isinstance(alpha, (float, int)):
        raise TypeError("For 'LeakyReLU', the type of 'alpha' should be one of '['float', 'int']', "
                        "but got '%r' with type '%s'." % (alpha, type(alpha).__name__))
