"""Compile options shared by every numba kernel of the engine."""

#: nogil: kernels run while other threads work; cache: compiled once per machine
#: (in ``matcher/__pycache__``); numpy error model: no Python exception checks.
JIT = {"nogil": True, "cache": True, "error_model": "numpy"}
