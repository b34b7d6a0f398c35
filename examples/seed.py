# seed.py - the two examples of MindSpore's API-mapping page for torch.nn.LeakyReLU, as the
# page prints them, with only the import lines changed: PyTorch's nn.LeakyReLU comes from
# lrelu.torch, and MindSpore from lrelu.mindspore.  Each print() shows the page's output.
# Run: PYTHONPATH=build/python /usr/bin/python3 examples/seed.py (after make python)

# 代码示例1

# PyTorch
import torch
import lrelu.torch as nn

m = nn.LeakyReLU(0.2)
inputs = torch.tensor([[-1.0, 4.0, -8.0], [2.0, -5.0, 9.0]], dtype=float)
output = m(inputs).to(torch.float32).detach().numpy()
print(output)
# [[-0.2  4.  -1.6]
#  [ 2.  -1.   9. ]]

# MindSpore
import lrelu.mindspore as mindspore
from lrelu.mindspore import Tensor
import lrelu.mindspore.nn as nn

x = Tensor([[-1.0, 4.0, -8.0], [2.0, -5.0, 9.0]]).astype('float32')
m = nn.LeakyReLU()
output = m(x)
print(output)
# [[-0.2  4.  -1.6]
#  [ 2.  -1.   9. ]]

# 代码示例2

# PyTorch
import torch
import lrelu.torch as nn

m = nn.LeakyReLU(0.2, inplace=True)
inputs = torch.tensor([[-1.0, 4.0, -8.0], [2.0, -5.0, 9.0]], dtype=torch.float32)
output = m(inputs)
print(inputs.detach().numpy())
# [[-0.2  4.  -1.6]
#  [ 2.  -1.   9. ]]

# MindSpore
import lrelu.mindspore as mindspore
from lrelu.mindspore import Tensor
import lrelu.mindspore.nn as nn

x = Tensor([[-1.0, 4.0, -8.0], [2.0, -5.0, 9.0]]).astype('float32')
m = nn.LeakyReLU()
x = m(x)
print(x)
# [[-0.2  4.  -1.6]
#  [ 2.  -1.   9. ]]
