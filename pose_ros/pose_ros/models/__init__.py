"""The named models: where each comes from, where it is cached, and fetching it verified.

Standard library only: the set-up script fetches the default model before numpy is installed.
"""

from pose_ros.models.download import ChecksumError, DownloadError, fetch_model, sha256_of
from pose_ros.models.registry import (
    DEFAULT_MODEL,
    REGISTRY,
    ModelError,
    ModelFile,
    ModelNotFoundError,
    ModelSpec,
    ResolvedModel,
    UnknownModelError,
    fetch_command,
    get_spec,
    models_dir,
    resolve_model,
)

__all__ = ['ChecksumError', 'DEFAULT_MODEL', 'DownloadError', 'ModelError', 'ModelFile',
           'ModelNotFoundError', 'ModelSpec', 'REGISTRY', 'ResolvedModel', 'UnknownModelError',
           'fetch_command', 'fetch_model', 'get_spec', 'models_dir', 'resolve_model',
           'sha256_of']
