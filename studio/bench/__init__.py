"""Benchmarks: latency, engine overhead, memory and start time (`ai-anchor-studio bench`)."""
