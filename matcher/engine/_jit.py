"""Compile options shared by every numba function of the engine."""

#: nogil: kernels run while other threads work; cache: compiled once per machine (in
#: ``__pycache__``); numpy error model: no Python exception checks. No fast-math flags:
#: every kernel evaluates the same IEEE operations in the same order, so that a score is
#: the same to the last bit whichever kernel (search, rows, batch) computes it.
JIT = {"nogil": True, "cache": True, "error_model": "numpy"}
