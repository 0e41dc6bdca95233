"""The contract layer: what every other layer may import, and nothing it imports but numpy.

Events (what an experiment reports), commands (what the UI asks of the trainer), the catalog
of experiments and their parameters, decoding records and the recording format. The lab,
the trainer, the app side of the runtime, the curriculum, widgets and screens all speak it;
it imports none of them, neither torch nor Textual.
"""
