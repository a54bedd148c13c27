"""The ``fetch_model`` command: fetch, list and locate the named models."""

from __future__ import annotations

import argparse
from pathlib import Path
import sys
from typing import Sequence

from pose_ros.models.download import fetch_model
from pose_ros.models.registry import (
    DEFAULT_MODEL,
    REGISTRY,
    ModelError,
    ModelSpec,
    model_names,
    models_dir,
    resolve_model,
)


def _cached_state(spec: ModelSpec, directory: Path) -> str:
    present = 0
    for f in spec.files:
        path = directory / f.filename
        if path.is_file() and (f.size is None or path.stat().st_size == f.size):
            present += 1
    return 'yes' if present == len(spec.files) else 'partial' if present else 'no'


def format_list(directory: Path) -> str:
    """Return the ``list`` table: name, family, cached, checksum pinned, description."""
    rows = [('NAME', 'FAMILY', 'CACHED', 'CHECKSUM', 'DESCRIPTION')]
    for spec in REGISTRY.values():
        pinned = all(f.sha256 for f in spec.files)
        label = spec.name + (' (default)' if spec.name == DEFAULT_MODEL else '')
        rows.append((label, spec.family, _cached_state(spec, directory),
                     'pinned' if pinned else 'unpinned', spec.description))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ['  '.join(c.ljust(w) for c, w in zip(r[:4], widths, strict=True)) + '  ' + r[4]
             for r in rows]
    return '\n'.join(lines) + f'\ncache directory: {directory}\n'


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog='fetch_model', description='Fetch and locate pose_ros models.',
        epilog=f'"fetch_model NAME" is short for "fetch_model fetch NAME". '
               f'Models: {model_names()}.')
    sub = parser.add_subparsers(dest='command', required=True)
    p_fetch = sub.add_parser('fetch', help='download and verify a model into the cache')
    p_fetch.add_argument('name', nargs='?', default=DEFAULT_MODEL,
                         help=f'registered model name (default {DEFAULT_MODEL})')
    p_list = sub.add_parser('list', help='show registered models and what is cached')
    p_path = sub.add_parser('path', help='print the cached file paths of a model')
    p_path.add_argument('name', help='registered model name or a .tflite path')
    for p in (p_fetch, p_list, p_path):
        p.add_argument('--dir', default=None,
                       help='cache directory (default $POSE_ROS_MODELS, else '
                            '$XDG_CACHE_HOME/pose_ros/models, else ~/.cache/pose_ros/models)')
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the fetch_model command; return the process exit code."""
    args_in = list(sys.argv[1:] if argv is None else argv)
    if args_in and not args_in[0].startswith('-') and args_in[0] not in ('fetch', 'list',
                                                                            'path'):
        args_in.insert(0, 'fetch')
    args = _parser().parse_args(args_in)
    directory = Path(args.dir).expanduser() if args.dir else models_dir()
    try:
        if args.command == 'list':
            sys.stdout.write(format_list(directory))
        elif args.command == 'path':
            model = resolve_model(args.name, directory, kind=None)
            sys.stdout.write(model.model_path + '\n')
            if model.detector_path:
                sys.stdout.write(model.detector_path + '\n')
        else:
            model = fetch_model(args.name, directory)
            sys.stderr.write(f'{model.name} ready in {directory}\n')
    except (ModelError, OSError) as exc:
        sys.stderr.write(f'fetch_model: error: {exc}\n')
        return 1
    except KeyboardInterrupt:
        sys.stderr.write('\nfetch_model: interrupted; run again to resume the download\n')
        return 130
    return 0


if __name__ == '__main__':
    sys.exit(main())
