"""Automatic differentiation: backend-neutral derivative rules and the PyTorch / JAX adapters."""
