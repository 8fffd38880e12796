"""`evalkit run`: clips -> teacher encode -> teacher and student decode -> metrics -> results, with caches,
resume and rank sharding. The public entry point is :func:`run`."""

from evalkit.pipeline.config import ConfigError, RunConfig, build_config, load_config_file
from evalkit.pipeline.runner import RunResult, run

__all__ = ["ConfigError", "RunConfig", "RunResult", "build_config", "load_config_file", "run"]
