"""The trainer side of the runtime: one experiment in a child process, commands in, events out.

`driver` is the state machine (headless runs use it directly); `worker` is the spawned
process around it. Only this side imports the lab, and so torch.
"""
