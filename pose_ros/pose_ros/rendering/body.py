"""The MakeHuman body: base mesh, body-shape targets, rig and skinning weights.

Coordinates are metres in the body frame: X toward the person's own left, Y up, Z toward
where the person faces, soles on Y = 0. MakeHuman's files are in decimetres in the same
axes; its rig (made for Blender) states bone rolls in Blender's Z-up frame, converted here.

Body shape follows MakeHuman's macro modifiers: each target file is a sparse list of
vertex offsets, and a body is the base mesh plus the targets weighted by where gender,
age, muscle, weight and height fall between the files' corner values. The rig's joints
are then placed on the shaped mesh by the rig's own rules (a joint cube's centre, one
vertex, or the mean of a few), so bones fit every body.
"""

from __future__ import annotations

from dataclasses import dataclass
import functools
import gzip
import json
from pathlib import Path

import numpy as np

from pose_ros.rendering.assets import require_assets

# Blender (X left, Y back, Z up) to the body frame (X left, Y up, Z forward).
BLENDER_TO_BODY = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])
_DM = 0.1  # MakeHuman decimetres to metres

# Mesh parts drawn, by the base mesh's group names. The rest (joint cubes, teeth, tongue,
# eyelashes, the skirt and genital helpers) stays hidden.
BODY_GROUP = 'body'
EYE_GROUPS = ('helper-l-eye', 'helper-r-eye')


@dataclass(frozen=True)
class Shape:
    """MakeHuman's macro sliders, each 0..1 (0.5 is MakeHuman's default).

    ``age``: 0.1875 is 11 years, 0.5 is 25, 1.0 is 90 (children and adults only).
    ``gender``: 0 female, 1 male. ``race`` weights (african, asian, caucasian) sum to 1.
    """

    gender: float = 0.5
    age: float = 0.5
    muscle: float = 0.5
    weight: float = 0.5
    height: float = 0.5
    race: tuple[float, float, float] = (1 / 3, 1 / 3, 1 / 3)


@dataclass(frozen=True)
class Mesh:
    """The base mesh as drawn: positions per vertex, quads split into triangles.

    GL needs one UV per vertex, so vertices on UV seams are duplicated: ``corner_vertex``
    maps each drawn vertex to its mesh vertex, ``corner_uv`` holds its UV.
    """

    vertices: np.ndarray        # (V, 3) metres, unshaped
    groups: dict[str, np.ndarray]   # group name -> mesh vertex indices
    triangles: np.ndarray       # (T, 3) indices into the drawn vertices
    triangle_group: np.ndarray  # (T,) index into group_names
    group_names: tuple[str, ...]
    corner_vertex: np.ndarray   # (C,) mesh vertex of each drawn vertex
    corner_uv: np.ndarray       # (C, 2)


@dataclass(frozen=True)
class Bone:
    name: str
    parent: int                 # index into Rig.bones, -1 for the root
    roll: float                 # radians, about the bone's own axis (Blender's convention)
    head: tuple                 # (strategy, vertex indices) placing the head on the mesh
    tail: tuple


@dataclass(frozen=True)
class Rig:
    bones: tuple[Bone, ...]
    index: dict[str, int]
    weights: np.ndarray         # (V, K) skinning weights, rows sum to 1
    weight_bones: np.ndarray    # (V, K) bone index of each weight

    def children(self) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {}
        for i, b in enumerate(self.bones):
            out.setdefault(b.parent, []).append(i)
        return out


@dataclass(frozen=True)
class Body:
    """One shaped person at rest: vertices, joint positions and bone rest frames."""

    shape: Shape
    mesh: Mesh
    rig: Rig
    vertices: np.ndarray        # (V, 3) shaped, soles on y = 0
    heads: np.ndarray           # (B, 3) joint (bone head) positions
    tails: np.ndarray           # (B, 3)
    rest_rotations: np.ndarray  # (B, 3, 3) columns: the bone's axes (Y along the bone)

    @property
    def height(self) -> float:
        return float(self.vertices[self.mesh.groups[BODY_GROUP], 1].max())


def _parse_obj(path: Path) -> Mesh:
    positions, uvs, faces, face_group, names = [], [], [], [], []
    group = -1
    with open(path) as fh:
        for line in fh:
            tag = line[:2]
            if tag == 'v ':
                positions.append(line[2:].split())
            elif tag == 'vt':
                uvs.append(line[3:].split())
            elif tag == 'f ':
                faces.append([c.split('/') for c in line[2:].split()])
                face_group.append(group)
            elif tag == 'g ':
                names.append(line[2:].strip())
                group = len(names) - 1
    vertices = np.asarray(positions, dtype=np.float64) * _DM
    uv = np.asarray(uvs, dtype=np.float64)
    quads = np.asarray(faces, dtype=np.int64) - 1          # (F, 4, 2): vertex, uv
    face_group = np.asarray(face_group)
    # Unique (vertex, uv) corners become the drawn vertices.
    keys = quads[:, :, 0] * (len(uv) + 1) + quads[:, :, 1]
    unique, inverse = np.unique(keys.ravel(), return_inverse=True)
    corner_vertex = unique // (len(uv) + 1)
    corner_uv = uv[unique % (len(uv) + 1)]
    q = inverse.reshape(-1, 4)
    triangles = np.concatenate([q[:, [0, 1, 2]], q[:, [0, 2, 3]]])
    tri_group = np.concatenate([face_group, face_group])
    groups = {}
    for gi, name in enumerate(names):
        groups[name] = np.unique(quads[face_group == gi, :, 0])
    return Mesh(vertices, groups, triangles.astype(np.int32), tri_group, tuple(names),
                corner_vertex.astype(np.int64), corner_uv.astype(np.float32))


def _read_target(path: Path, n: int) -> np.ndarray:
    offsets = np.zeros((n, 3))
    with gzip.open(path, 'rt') as fh:
        text = fh.read()
    if text.strip():
        data = np.array(text.split(), dtype=np.float64).reshape(-1, 4)
        offsets[data[:, 0].astype(np.int64)] = data[:, 1:] * _DM
    return offsets


def _blend(value: float, points: tuple[tuple[float, str], ...]) -> dict[str, float]:
    """Weights of the named corners for ``value`` on a piecewise-linear scale."""
    value = min(max(value, points[0][0]), points[-1][0])
    for (x0, a), (x1, b) in zip(points, points[1:]):
        if value <= x1:
            w = (value - x0) / (x1 - x0)
            out = {a: 1.0 - w, b: w}
            return {k: v for k, v in out.items() if v > 1e-6}
    raise AssertionError('unreachable')


_AGE = ((0.1875, 'child'), (0.5, 'young'), (1.0, 'old'))
_MUSCLE = ((0.0, 'minmuscle'), (0.5, 'averagemuscle'), (1.0, 'maxmuscle'))
_WEIGHT = ((0.0, 'minweight'), (0.5, 'averageweight'), (1.0, 'maxweight'))
_GENDER = ((0.0, 'female'), (1.0, 'male'))
_HEIGHT = ((0.0, 'minheight'), (0.5, ''), (1.0, 'maxheight'))
RACES = ('african', 'asian', 'caucasian')


def target_weights(shape: Shape) -> dict[str, float]:
    """Return MakeHuman macro target files (relative paths) and their weights."""
    g = _blend(shape.gender, _GENDER)
    a = _blend(shape.age, _AGE)
    m = _blend(shape.muscle, _MUSCLE)
    w = _blend(shape.weight, _WEIGHT)
    h = _blend(shape.height, _HEIGHT)
    out: dict[str, float] = {}
    for race, rw in zip(RACES, shape.race):
        for gk, gw in g.items():
            for ak, aw in a.items():
                if rw * gw * aw > 1e-6:
                    out[f'{race}-{gk}-{ak}.target.gz'] = rw * gw * aw
    for gk, gw in g.items():
        for ak, aw in a.items():
            for mk, mw in m.items():
                for wk, ww in w.items():
                    base = gw * aw * mw * ww
                    if mk != 'averagemuscle' or wk != 'averageweight':
                        out[f'universal-{gk}-{ak}-{mk}-{wk}.target.gz'] = base
                    for hk, hw in h.items():
                        if hk:
                            out[f'height/{gk}-{ak}-{mk}-{wk}-{hk}.target.gz'] = base * hw
    return {k: v for k, v in out.items() if v > 1e-6}


def _bone_point(spec: dict, groups: dict[str, np.ndarray]) -> tuple:
    strategy = spec['strategy']
    if strategy == 'CUBE':
        return ('mean', tuple(int(i) for i in groups[spec['cube_name']]))
    if strategy == 'VERTEX':
        return ('mean', (int(spec['vertex_index']),))
    if strategy == 'MEAN':
        return ('mean', tuple(int(i) for i in spec['vertex_indices']))
    raise ValueError(f'unknown joint placement {strategy!r}')


def _load_rig(directory: Path, n_vertices: int, groups: dict[str, np.ndarray],
              max_influences: int = 6) -> Rig:
    rig = json.loads((directory / 'rigs/standard/rig.default.json').read_text())
    names = list(rig)
    # Parents first, so forward kinematics is one pass in order.
    order: list[str] = []
    placed: set[str] = set()
    while len(order) < len(names):
        for name in names:
            parent = rig[name]['parent']
            if name not in placed and (not parent or parent in placed):
                order.append(name)
                placed.add(name)
    index = {name: i for i, name in enumerate(order)}
    bones = tuple(Bone(name, index[rig[name]['parent']] if rig[name]['parent'] else -1,
                       float(rig[name]['roll']), _bone_point(rig[name]['head'], groups),
                       _bone_point(rig[name]['tail'], groups)) for name in order)
    raw = json.loads((directory / 'rigs/standard/weights.default.json').read_text())['weights']
    dense_w = np.zeros((n_vertices, max_influences))
    dense_b = np.zeros((n_vertices, max_influences), dtype=np.int64)
    per_vertex: list[list[tuple[float, int]]] = [[] for _ in range(n_vertices)]
    for bone, pairs in raw.items():
        b = index[bone]
        for v, w in pairs:
            per_vertex[v].append((w, b))
    for v, pairs in enumerate(per_vertex):
        pairs.sort(reverse=True)
        for k, (w, b) in enumerate(pairs[:max_influences]):
            dense_w[v, k], dense_b[v, k] = w, b
    total = dense_w.sum(axis=1, keepdims=True)
    unweighted = total[:, 0] <= 0
    dense_w[unweighted, 0], dense_b[unweighted, 0] = 1.0, index['root']
    dense_w /= np.where(total > 0, total, 1.0)
    return Rig(bones, index, dense_w, dense_b)


def rest_rotation(head: np.ndarray, tail: np.ndarray, roll: float) -> np.ndarray:
    """Return a bone's rest axes in the body frame (Blender's bone-roll convention).

    Blender turns the Y axis onto the bone by the shortest rotation, then rolls about it.
    """
    direction = BLENDER_TO_BODY.T @ (tail - head)
    y = direction / np.linalg.norm(direction)
    base = minimal_rotation(np.array([0.0, 1.0, 0.0]), y)
    c, s = np.cos(roll), np.sin(roll)
    spin = np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])
    return BLENDER_TO_BODY @ base @ spin


def minimal_rotation(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Return the shortest rotation taking unit vector ``a`` onto unit vector ``b``."""
    v = np.cross(a, b)
    c = float(np.dot(a, b))
    if c < -1.0 + 1e-9:
        # Opposite: half a turn about any axis perpendicular to a.
        axis = np.cross(a, [1.0, 0.0, 0.0])
        if np.linalg.norm(axis) < 1e-6:
            axis = np.cross(a, [0.0, 0.0, 1.0])
        axis /= np.linalg.norm(axis)
        return 2.0 * np.outer(axis, axis) - np.eye(3)
    vx = np.array([[0.0, -v[2], v[1]], [v[2], 0.0, -v[0]], [-v[1], v[0], 0.0]])
    return np.eye(3) + vx + vx @ vx / (1.0 + c)


def joint_positions(vertices: np.ndarray, rig: Rig) -> tuple[np.ndarray, np.ndarray]:
    """Place every bone's head and tail on ``vertices`` by the rig's rules."""
    def place(point: tuple) -> np.ndarray:
        return vertices[list(point[1])].mean(axis=0)
    heads = np.array([place(b.head) for b in rig.bones])
    tails = np.array([place(b.tail) for b in rig.bones])
    return heads, tails


@functools.lru_cache(maxsize=2)
def base_mesh_and_rig(directory: str) -> tuple[Mesh, Rig]:
    """Return the unshaped base mesh and the rig (cached)."""
    path = Path(directory)
    mesh = _parse_obj(path / '3dobjs/base.obj')
    rig = _load_rig(path, len(mesh.vertices), mesh.groups)
    return mesh, rig


@functools.lru_cache(maxsize=64)
def _target(directory: str, name: str, n: int) -> np.ndarray:
    return _read_target(Path(directory) / 'targets/macrodetails' / name, n)


@functools.lru_cache(maxsize=8)
def load_body(shape: Shape = Shape(), directory: str | None = None) -> Body:
    """Return the person of ``shape`` at rest (cached: the same shape loads once)."""
    root = str(require_assets(Path(directory) if directory else None))
    mesh, rig = base_mesh_and_rig(root)
    vertices = mesh.vertices.copy()
    for name, w in target_weights(shape).items():
        vertices += w * _target(root, name, len(vertices))
    vertices[:, 1] -= vertices[mesh.groups[BODY_GROUP], 1].min()

    heads, tails = joint_positions(vertices, rig)
    rest = np.array([rest_rotation(h, t, b.roll) for h, t, b in zip(heads, tails, rig.bones)])
    return Body(shape, mesh, rig, vertices, heads, tails, rest)


def scaled(body: Body, stature: float) -> Body:
    """Return ``body`` uniformly scaled to ``stature`` metres tall (soles stay on y = 0)."""
    k = stature / body.height
    return Body(body.shape, body.mesh, body.rig, body.vertices * k, body.heads * k,
                body.tails * k, body.rest_rotations)
