"""tf.initializers (TF1 names)."""
from .variables import (Zeros as zeros, Ones as ones, Constant as constant,  # noqa: F401
                        RandomNormal as random_normal, TruncatedNormal as truncated_normal,
                        RandomUniform as random_uniform, VarianceScaling as variance_scaling,
                        GlorotUniform as glorot_uniform, GlorotNormal as glorot_normal,
                        he_normal, he_uniform, global_variables_initializer as global_variables,
                        variables_initializer as variables)
