"""The named models: where each comes from, where it is cached, and fetching it verified."""

from pose_ros.models.registry import (
    DEFAULT_MODEL,
    ModelError,
    ModelSpec,
    ResolvedModel,
    fetch_model,
    models_dir,
    resolve_model,
)

__all__ = ['DEFAULT_MODEL', 'ModelError', 'ModelSpec', 'ResolvedModel', 'fetch_model',
           'models_dir', 'resolve_model']
