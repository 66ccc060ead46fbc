"""Session log: what was said and aired, written before it airs; readers and exporters for it."""
