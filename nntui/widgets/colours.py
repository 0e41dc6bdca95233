"""The colours every widget shares, in one place (the heatmap's value ramp is heatmap_palette.py).

Classes are told apart by the Okabe-Ito colours, which most colour-vision deficiencies keep
apart; runs overlaid in one chart by RUN_COLOURS, the current run's train and test in its own.
Without colour every widget has its own marks (shapes, fills, brackets, line styles).
"""

from __future__ import annotations

# Okabe-Ito, black left out (it is the background).
CLASS_COLOURS = ("#56b4e9", "#e69f00", "#009e73", "#cc79a7", "#f0e442", "#d55e00")
RUN_COLOURS = ("#4fc3f7", "#ffb74d", "#81c784", "#e57373", "#ba68c8", "#fff176", "#4db6ac", "#f06292")
TRAIN_COLOUR = "#4fc3f7"
TEST_COLOUR = "#ffb74d"
TARGET_COLOUR = "#9e9e9e"
AUX_COLOUR = "#ba68c8"  # an auxiliary loss beside train and test (a fine-tuned model's L1)
