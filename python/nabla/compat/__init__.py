"""nabla.compat.v1 is nabla itself: `import nabla.compat.v1 as tf` gives the same
TF1 namespace as `import nabla as tf`."""
import sys

_nabla_pkg = sys.modules[__name__.rsplit(".", 1)[0]]
v1 = _nabla_pkg
sys.modules[__name__ + ".v1"] = _nabla_pkg
