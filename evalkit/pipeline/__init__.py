"""`evalkit run`: clips -> teacher encode -> teacher and student decode -> metrics -> results, with caches,
resume and rank sharding. The public entry point is :func:`run` (imported on first use, with torch)."""

from evalkit.lazy import lazy_exports
from evalkit.pipeline.config import ConfigError, RunConfig, build_config, load_config_file

__getattr__, __dir__ = lazy_exports(
    __name__, {"run": "evalkit.pipeline.runner", "RunResult": "evalkit.pipeline.runner"}
)

__all__ = ["ConfigError", "RunConfig", "RunResult", "build_config", "load_config_file", "run"]
