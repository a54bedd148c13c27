"""Shared by the renderer tests: the body assets and a GL context, or a skip naming why."""

import pytest

from pose_ros.rendering.assets import assets_dir, is_complete


def require_assets():
    """Return the MakeHuman asset folder; skip naming it and the fetch command if absent."""
    if not is_complete():
        pytest.skip(reason=f'MakeHuman assets missing in {assets_dir()}; fetch them with: '
                           f'python -m pose_ros.rendering fetch (tools/setup.sh does)')
    return assets_dir()


def require_gl():
    """Skip naming the missing system libraries when no headless GL context can be made."""
    try:
        import moderngl
        ctx = moderngl.create_standalone_context(backend='egl')
    except Exception as exc:  # noqa: BLE001 - glcontext raises plain Exceptions
        pytest.skip(reason=f'no headless OpenGL (EGL + Mesa): {exc}; install libegl1 '
                           f'libgl1-mesa-dri (tools/setup.sh does as root)')
    ctx.release()
