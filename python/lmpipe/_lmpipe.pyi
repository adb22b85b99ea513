"""Type stubs of the C++ extension (lmpipe's public names are re-exported by lmpipe/__init__.py)."""

from typing import Any, List, Sequence, Tuple

__version__: str

class Error(Exception):
    """Base class of every error lmpipe raises."""

class ArgumentError(Error, ValueError):
    """An invalid argument: an unknown task, a bad keyword argument or input."""

class LoadError(Error, OSError):
    """A model, file or directory that is missing or unreadable, or a Hub that cannot be reached."""

class Pipeline:
    """A loaded pipeline; call it as the transformers pipeline of its task.

    ``pipe(inputs, *positional, **kwargs)``: the inputs (a string or a list of strings for text
    tasks), then the keyword arguments the task allows positionally (zero-shot:
    ``candidate_labels``), then keyword arguments with the transformers names. Returns what the
    transformers pipeline returns (dicts and lists; float arrays as NumPy float32 arrays where the
    task provides them). Releases the GIL while computing; safe to call from several threads.
    Raises ArgumentError (a ValueError) for invalid arguments.
    """

    @property
    def task(self) -> str: ...
    @property
    def model(self) -> str:
        """The model as given to pipeline() ("" for the task's default)."""
    @property
    def inputs_name(self) -> str:
        """The name of the inputs' parameter (zero-shot: "sequences")."""
    @property
    def positional(self) -> List[str]:
        """The keyword arguments that may also be given positionally after the inputs, in order."""
    def __call__(self, *args: Any, **kwargs: Any) -> Any: ...

def load(task: str, model: str, dtype: str = "float32") -> Pipeline: ...
def load_count() -> int:
    """Pipelines this process has loaded (each lmpipe.pipeline() call that succeeded loads one)."""
def _result_to_python(value: Any, arrays: Sequence[Tuple[str, Sequence[int], Sequence[float]]]) -> Any: ...
