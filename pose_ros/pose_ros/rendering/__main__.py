"""Command line: ``python -m pose_ros.rendering SCENE --out DIR``, ``fetch``, ``list``."""

from __future__ import annotations

import argparse
from pathlib import Path
import sys
from typing import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args_in = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(
        prog='python -m pose_ros.rendering',
        description='Render scene files into mp4 clips with per-frame ground truth (cached).',
        epilog='"fetch" downloads the MakeHuman assets; "list" shows the shipped scenes.')
    parser.add_argument('scene', nargs='+', help='scene file(s), or names of shipped scenes; '
                        'or the word fetch / list')
    parser.add_argument('--out', type=Path, default=None,
                        help='also copy clip.mp4 and labels.json here (one scene), or into '
                             'DIR/NAME/ (several)')
    parser.add_argument('--depth', action='store_true',
                        help='also write depth/NNNNN.png (uint16 millimetres)')
    args = parser.parse_args(args_in)
    from pose_ros.rendering.assets import AssetError, fetch_assets
    if args.scene == ['fetch']:
        try:
            fetch_assets()
        except AssetError as exc:
            sys.stderr.write(f'error: {exc}\n')
            return 1
        return 0
    from pose_ros.rendering.scene import SceneError, library, load_scene
    if args.scene == ['list']:
        for path in library():
            first = path.read_text().splitlines()[0].lstrip('# ').strip()
            sys.stdout.write(f'{path.stem:24s} {first}\n')
        return 0
    from pose_ros.rendering.clipwriter import render_clip
    try:
        scenes = [load_scene(s) for s in args.scene]
        for scene in scenes:
            out = args.out
            if out is not None and len(scenes) > 1:
                out = out / scene.name
            clip = render_clip(scene, out, depth=args.depth)
            sys.stdout.write(f'{clip.video}\n{clip.labels}\n')
    except (SceneError, AssetError, RuntimeError) as exc:
        # RuntimeError: no headless OpenGL here; the message names the packages.
        sys.stderr.write(f'error: {exc}\n')
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
