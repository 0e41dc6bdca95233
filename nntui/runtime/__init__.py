"""Runs one experiment in the background: commands in, batched events out.

`driver` owns an experiment and its state machine (used in-process by headless
runs and inside the trainer process by the app); `worker` is the trainer
process's main loop; `client` is the UI side of the pipe; `history` collects
events into per-run series for widgets. Only `driver` and `worker` touch the
lab, and only inside the process that trains, so the UI never imports torch.
"""
