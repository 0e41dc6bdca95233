"""nntui: a terminal deep-learning lab."""

import os

__version__ = "0.1.0"

# The same numbers on every x86 machine: PyTorch and the libraries under it pick their kernels
# by the CPU's vector width, and an AVX-512 machine rounds differently from an AVX2 one: enough
# to change which name a beam search finds or the step a check holds at. Every lesson is
# measured with AVX2 kernels, which every x86 CPU of the last ten years has. Read when torch
# first runs an operation, so they are set before anything imports it; a user's own value wins.
for _name, _value in (("ATEN_CPU_CAPABILITY", "avx2"), ("MKL_CBWR", "AVX2"), ("ONEDNN_MAX_CPU_ISA", "AVX2")):
    os.environ.setdefault(_name, _value)
