"""Tensors, variables, dtypes, shapes and errors: the objects users hold."""
