"""The lab: models, data, probes and decoding in plain PyTorch.

Never imports Textual. `catalog` is torch-free so that lessons and CLI flags
can be validated without paying for `import torch`; every other module here
may import torch.
"""
