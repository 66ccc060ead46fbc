"""Model backends, one module per implementation behind the small contracts of `contracts.py`."""
