"""Widgets that render events. They never import torch.

- `LineChart` / `Series`: braille line charts (loss curves, gradient norms), Line API.
- `DigitGrid`: greyscale pictures with captions (an `ImageGrid` event), half blocks.
"""

from .chart import LineChart
from .chart_series import Series
from .digits import DigitGrid

__all__ = ["LineChart", "Series", "DigitGrid"]
