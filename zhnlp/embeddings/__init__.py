"""Word vectors: train, read and write, query, evaluate, embedding matrices (every submodule's names)."""
from .evaluate import *  # noqa: F401,F403
from .evaluate import __all__ as _evaluate
from .matrix import *  # noqa: F401,F403
from .matrix import __all__ as _matrix
from .train import *  # noqa: F401,F403
from .train import __all__ as _train
from .vectors import *  # noqa: F401,F403
from .vectors import __all__ as _vectors

__all__ = [*_vectors, *_train, *_evaluate, *_matrix]
