"""Performance benchmarks for headshot-bot; run them all with `python -m benchmarks`.

Every figure is a ratio against a limit or against a bare baseline measured in the same run,
because absolute timings on shared machines drift from one minute to the next.
"""
