"""Headless OpenGL rendering of a posed body in a room, with its depth buffer.

Why OpenGL: Mesa's software rasteriser (llvmpipe) behind EGL needs no display and no GPU,
comes with every desktop Linux and Debian/Ubuntu image (libegl1, libgl1-mesa-dri), and
draws the 38k triangles of the MakeHuman body in milliseconds with per-pixel lighting and
a shadow map. ModernGL (from PyPI) creates the context. The depth buffer is read back
and turned into metres for ground truth and for depth tests later.
"""

from __future__ import annotations

from dataclasses import dataclass
import math
from pathlib import Path

import numpy as np
import scipy.sparse

from pose_ros.rendering.body import BODY_GROUP, EYE_GROUPS, Body
from pose_ros.rendering.camera import Camera, gl_projection, linear_depth
from pose_ros.rendering.look import (
    EYE,
    HAIR,
    SKIN,
    Outfit,
    colour,
    face_geometry,
    face_masks,
    materials,
)
from pose_ros.rendering.skinning import PosedBody

NEAR, FAR = 0.1, 60.0

_BODY_VS = """
#version 330
uniform mat4 u_view_proj;
in vec3 in_pos; in vec3 in_normal; in vec2 in_uv; in vec3 in_rest; in vec3 in_albedo;
in vec3 in_kind; in vec2 in_motion;
out vec2 v_motion;
out vec3 v_pos; out vec3 v_normal; out vec2 v_uv; out vec3 v_rest; out vec3 v_albedo;
out vec3 v_kind;
void main() {
    v_pos = in_pos; v_normal = in_normal; v_uv = in_uv; v_rest = in_rest;
    v_albedo = in_albedo; v_kind = in_kind; v_motion = in_motion;
    gl_Position = u_view_proj * vec4(in_pos, 1.0);
}
"""

_LIGHT = """
uniform vec3 u_sun; uniform vec3 u_sun_colour; uniform vec3 u_sky; uniform vec3 u_ground;
uniform vec3 u_eye; uniform mat4 u_light_vp; uniform sampler2DShadow u_shadow;
float shadow_at(vec3 p, vec3 n) {
    vec4 q = u_light_vp * vec4(p + n * 0.015, 1.0);
    vec3 s = q.xyz / q.w * 0.5 + 0.5;
    if (s.x < 0.0 || s.x > 1.0 || s.y < 0.0 || s.y > 1.0) return 1.0;
    // One hardware-filtered lookup (2x2 percentage-closer filtering).
    return texture(u_shadow, vec3(s.xy, s.z - 0.002));
}
vec3 shade(vec3 albedo, vec3 p, vec3 n, float gloss) {
    n = normalize(n);
    vec3 v = normalize(u_eye - p);
    if (dot(n, v) < 0.0) n = -n;
    float lambert = max(dot(n, -u_sun), 0.0);
    float sh = lambert > 0.0 ? shadow_at(p, n) : 0.0;
    vec3 hemi = mix(u_ground, u_sky, 0.5 + 0.5 * n.y);
    vec3 h = normalize(v - u_sun);
    float spec = gloss * pow(max(dot(n, h), 0.0), 24.0) * sh;
    return albedo * (hemi + u_sun_colour * lambert * sh) + u_sun_colour * spec;
}
"""

_BODY_FS = """
#version 330
in vec3 v_pos; in vec3 v_normal; in vec2 v_uv; in vec3 v_rest; in vec3 v_albedo;
in vec3 v_kind;  // weights of skin, hair, eye (the rest is cloth)
in vec2 v_motion;  // image motion in pixels while the shutter is open
uniform vec3 u_iris; uniform vec3 u_lips; uniform vec3 u_brows;
uniform vec3 u_eye_l; uniform vec3 u_eye_r; uniform float u_eye_radius;
uniform sampler2D u_masks;
layout(location = 0) out vec4 f_colour;
layout(location = 1) out vec2 f_motion;
""" + _LIGHT + """
float brow(vec3 p, vec3 e) {
    float dx = abs(p.x) - abs(e.x);            // + toward the temple
    float w = 0.027;
    if (dx > 0.024 || dx < -0.017 || p.z < e.z) return 0.0;
    float t = (dx + 0.003) / w;
    float centre = e.y + 0.017 + 0.006 * (1.0 - t * t) - 0.002 * t;
    float hw = 0.0042 * (1.0 - 0.55 * max(t, 0.0));
    return smoothstep(hw, hw * 0.5, abs(p.y - centre));
}
float fabric(vec3 p) {
    return 0.93 + 0.07 * sin(180.0 * p.y + 9.0 * sin(70.0 * p.x + 40.0 * p.z));
}
void main() {
    vec3 albedo = v_albedo;
    float skin = v_kind.x, hair = v_kind.y, eye = v_kind.z;
    float cloth = max(1.0 - skin - hair - eye, 0.0);
    if (skin > 0.01) {
        vec2 m = texture(u_masks, v_uv).rg;
        albedo = mix(albedo, u_lips, 0.8 * m.r * skin);
        albedo *= 1.0 - 0.3 * m.g * skin;
        float b = max(brow(v_rest, u_eye_l), brow(v_rest, u_eye_r));
        albedo = mix(albedo, u_brows, 0.9 * b * skin);
    }
    if (eye > 0.5) {
        vec3 c = v_rest.x > 0.0 ? u_eye_l : u_eye_r;
        float a = dot(normalize(v_rest - c), vec3(0.0, 0.0, 1.0));
        albedo = vec3(0.86, 0.84, 0.80);
        if (a > 0.86) albedo = u_iris;
        if (a > 0.975) albedo = vec3(0.03);
    }
    albedo *= 1.0 - hair * 0.15 * (0.5 + 0.5 * sin(900.0 * v_rest.x + 300.0 * v_rest.z));
    albedo *= mix(1.0, fabric(v_rest), cloth);
    float gloss = 0.03 + 0.05 * skin + 0.1 * hair + 0.4 * eye;
    f_colour = vec4(shade(albedo, v_pos, v_normal, gloss), 1.0);
    f_motion = v_motion;
}
"""

_ROOM_VS = """
#version 330
uniform mat4 u_view_proj;
in vec3 in_pos; in vec3 in_normal; in vec2 in_uv;
out vec3 v_pos; out vec3 v_normal; out vec2 v_uv;
void main() {
    v_pos = in_pos; v_normal = in_normal; v_uv = in_uv;
    gl_Position = u_view_proj * vec4(in_pos, 1.0);
}
"""

_ROOM_FS = """
#version 330
in vec3 v_pos; in vec3 v_normal; in vec2 v_uv;
uniform sampler2D u_texture; uniform vec3 u_tint;
layout(location = 0) out vec4 f_colour;
layout(location = 1) out vec2 f_motion;
""" + _LIGHT + """
void main() {
    f_motion = vec2(0.0);
    vec3 albedo = u_tint * (0.35 + 1.3 * texture(u_texture, v_uv).r);
    f_colour = vec4(shade(albedo, v_pos, v_normal, 0.02), 1.0);
}
"""

_DEPTH_VS = """
#version 330
uniform mat4 u_view_proj;
in vec3 in_pos;
void main() { gl_Position = u_view_proj * vec4(in_pos, 1.0); }
"""
_DEPTH_FS = """
#version 330
void main() {}
"""


@dataclass(frozen=True)
class Room:
    """The floor and the wall behind the person, and the light.

    ``wall``/``floor``: a scikit-image texture ('brick', 'grass', 'gravel') or 'plain'.
    ``wall_distance``: metres behind the person, along the camera's line of sight.
    ``sun``: (azimuth, elevation) degrees; azimuth 0 shines from behind the camera.
    """

    wall: str = 'brick'
    floor: str = 'gravel'
    wall_colour: str = ''      # '' takes the texture's own (TINTS)
    floor_colour: str = ''
    wall_distance: float = 2.5
    sun: tuple[float, float] = (35.0, 50.0)
    sun_strength: float = 0.85
    ambient: float = 0.55

    def __post_init__(self) -> None:
        for name in (self.wall, self.floor):
            if name not in TEXTURES:
                raise ValueError(f'texture {name!r} is not one of {", ".join(TEXTURES)}')


TEXTURES = ('brick', 'grass', 'gravel', 'plain')
# The scikit-image textures are grey photographs: their colour when none is given.
TINTS = {'brick': '#b49a84', 'grass': '#7f9a5c', 'gravel': '#8c8478', 'plain': '#a4a29c'}


def _texture_image(name: str) -> np.ndarray:
    if name == 'plain':
        return np.full((4, 4), 128, np.uint8)
    from skimage import data
    return np.ascontiguousarray(getattr(data, name)())


@dataclass(frozen=True)
class Frame:
    """One rendered frame before image effects: RGB (H, W, 3) uint8, depth (H, W) metres.

    ``motion``: (H, W, 2) pixels each surface point moves while the shutter is open, when
    asked for (zero on the room).
    """

    image: np.ndarray
    depth: np.ndarray
    motion: np.ndarray | None = None


def _normals_matrix(n_vertices: int, triangles: np.ndarray) -> scipy.sparse.csr_matrix:
    rows = triangles.ravel()
    cols = np.repeat(np.arange(len(triangles)), 3)
    return scipy.sparse.csr_matrix((np.ones(len(rows)), (rows, cols)),
                                   shape=(n_vertices, len(triangles)))


def _look_at(eye: np.ndarray, target: np.ndarray, up: np.ndarray) -> np.ndarray:
    f = target - eye
    f /= np.linalg.norm(f)
    r = np.cross(f, up)
    r /= np.linalg.norm(r)
    u = np.cross(r, f)
    m = np.eye(4)
    m[0, :3], m[1, :3], m[2, :3] = r, u, -f
    m[:3, 3] = -m[:3, :3] @ eye
    return m


class Renderer:
    """One GL context drawing one body in one room; call ``render`` once per frame."""

    def __init__(self, width: int = 640, height: int = 480, shadow_size: int = 1024) -> None:
        import moderngl
        try:
            self.ctx = moderngl.create_standalone_context(backend='egl')
        except Exception as exc:  # noqa: BLE001 - glcontext raises plain Exceptions
            raise RuntimeError(
                f'no headless OpenGL context ({exc}); the renderer needs EGL and Mesa: '
                f'apt install libegl1 libgl1-mesa-dri (tools/setup.sh does this as root)'
            ) from exc
        self.width, self.height = width, height
        ctx = self.ctx
        self.body_prog = ctx.program(vertex_shader=_BODY_VS, fragment_shader=_BODY_FS)
        self.room_prog = ctx.program(vertex_shader=_ROOM_VS, fragment_shader=_ROOM_FS)
        self.depth_prog = ctx.program(vertex_shader=_DEPTH_VS, fragment_shader=_DEPTH_FS)
        self.colour_tex = ctx.texture((width, height), 3)
        self.depth_tex = ctx.depth_texture((width, height))
        self.motion_tex = ctx.texture((width, height), 2, dtype='f4')
        self.fbo = ctx.framebuffer(color_attachments=[self.colour_tex, self.motion_tex],
                                   depth_attachment=self.depth_tex)
        self.shadow_tex = ctx.depth_texture((shadow_size, shadow_size))
        self.shadow_tex.compare_func = '<='
        self.shadow_tex.filter = (moderngl.LINEAR, moderngl.LINEAR)
        self.shadow_tex.repeat_x = self.shadow_tex.repeat_y = False
        self.shadow_fbo = ctx.framebuffer(depth_attachment=self.shadow_tex)
        self.body: Body | None = None
        self.room: Room | None = None
        self._textures: dict[str, object] = {}

    def release(self) -> None:
        self.ctx.release()

    def __enter__(self) -> Renderer:
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    # -- the body ------------------------------------------------------------------
    def set_body(self, body: Body, outfit: Outfit, assets: Path) -> None:
        """Upload what does not change per frame: UVs, rest positions, materials."""
        self.body = body
        mesh = body.mesh
        keep_groups = [mesh.group_names.index(g) for g in (BODY_GROUP, *EYE_GROUPS)]
        tris = mesh.triangles[np.isin(mesh.triangle_group, keep_groups)]
        used = np.unique(tris)
        remap = np.full(len(mesh.corner_vertex), -1, np.int64)
        remap[used] = np.arange(len(used))
        self._corners = mesh.corner_vertex[used]
        self._tris = remap[tris].astype(np.int32)
        # Normals: per mesh vertex, summed over the triangles that use it.
        self._mesh_tris = self._corners[self._tris]
        self._normals = _normals_matrix(len(body.vertices), self._mesh_tris)
        mat = materials(body, outfit)[self._corners]
        rest = body.vertices[self._corners].astype(np.float32)
        names = ('skin', 'shirt', 'trousers', 'shoes', 'hair', 'eyes')
        palette = np.array([colour(getattr(outfit, k)) for k in names])
        kind = np.stack([mat == SKIN, mat == HAIR, mat == EYE], axis=1)
        uv = mesh.corner_uv[used]
        ctx = self.ctx
        n = len(used)
        self._pos_buf = ctx.buffer(reserve=n * 12, dynamic=True)
        self._nrm_buf = ctx.buffer(reserve=n * 12, dynamic=True)
        self._motion_buf = ctx.buffer(reserve=n * 8, dynamic=True)
        static = ctx.buffer(np.hstack([uv, rest, palette[mat], kind]).astype('f4').tobytes())
        index = ctx.buffer(self._tris.tobytes())
        self.body_vao = ctx.vertex_array(self.body_prog, [
            (self._pos_buf, '3f', 'in_pos'), (self._nrm_buf, '3f', 'in_normal'),
            (self._motion_buf, '2f', 'in_motion'),
            (static, '2f 3f 3f 3f', 'in_uv', 'in_rest', 'in_albedo', 'in_kind')],
            index, index_element_size=4)
        self.body_depth_vao = ctx.vertex_array(
            self.depth_prog, [(self._pos_buf, '3f', 'in_pos')], index, index_element_size=4)
        masks = face_masks(str(assets))
        tex = ctx.texture(masks.shape[1::-1], 2, np.ascontiguousarray(
            np.flipud(masks)).astype('f4').tobytes(), dtype='f4')
        tex.build_mipmaps()
        self._mask_tex = tex
        face = face_geometry(body)
        prog = self.body_prog
        prog['u_iris'].value = colour(outfit.eyes)
        skin = np.array(colour(outfit.skin))
        prog['u_lips'].value = tuple(skin * np.array([0.78, 0.5, 0.5]) + [0.08, 0.0, 0.02])
        prog['u_brows'].value = tuple(np.array(colour(outfit.hair)) * 0.7)
        prog['u_eye_l'].value = tuple(face.eye_centres[0])
        prog['u_eye_r'].value = tuple(face.eye_centres[1])

    # -- the room ------------------------------------------------------------------
    def _texture(self, name: str):
        if name not in self._textures:
            img = _texture_image(name)
            tex = self.ctx.texture(img.shape[::-1], 1, np.ascontiguousarray(img).tobytes())
            tex.build_mipmaps()
            self._textures[name] = tex
        return self._textures[name]

    def _quad(self, corners: np.ndarray, normal: np.ndarray, uv_scale: tuple[float, float]):
        uv = np.array([[0, 0], [uv_scale[0], 0], [uv_scale[0], uv_scale[1]], [0, uv_scale[1]]])
        data = np.hstack([corners, np.repeat(normal[None], 4, 0), uv]).astype('f4')
        buf = self.ctx.buffer(data[[0, 1, 2, 0, 2, 3]].tobytes())
        return self.ctx.vertex_array(self.room_prog, [(buf, '3f 3f 2f', 'in_pos', 'in_normal',
                                                      'in_uv')])

    def set_room(self, room: Room, camera: Camera, target: tuple[float, float] = (0.0, 0.0),
                 facing: float = 0.0) -> None:
        """Place the floor and the wall for this camera (the wall faces the camera)."""
        self.room = room
        rot, centre = camera.pose(target, facing)
        ahead = rot[2].copy()
        ahead[1] = 0.0
        ahead /= np.linalg.norm(ahead)
        side = np.array([-ahead[2], 0.0, ahead[0]])
        t = np.array([target[0], 0.0, target[1]])
        size = 40.0
        floor = np.array([t - size * side - size * ahead, t + size * side - size * ahead,
                          t + size * side + size * ahead, t - size * side + size * ahead])
        tile = 1.0
        self.floor_vao = self._quad(floor, np.array([0.0, 1.0, 0.0]),
                                    (2 * size / tile, 2 * size / tile))
        w = t + ahead * room.wall_distance
        half, top = 12.0, 8.0
        wall = np.array([w - half * side, w + half * side, w + half * side + [0, top, 0],
                         w - half * side + [0, top, 0]])
        brick = 1.6
        self.wall_vao = self._quad(wall, -ahead, (2 * half / brick, top / brick))
        az, el = math.radians(room.sun[0]), math.radians(room.sun[1])
        # Azimuth 0: the sun behind the camera, shining along the camera's view.
        horizontal = math.cos(az) * ahead + math.sin(az) * side
        self.sun = -(math.cos(el) * -horizontal + math.sin(el) * np.array([0, 1.0, 0]))
        self.sun /= np.linalg.norm(self.sun)
        self.room_target = t

    # -- drawing -------------------------------------------------------------------
    def _set_light_uniforms(self, prog, eye: np.ndarray, light_vp: np.ndarray) -> None:
        room = self.room
        prog['u_sun'].value = tuple(self.sun)
        prog['u_sun_colour'].value = tuple(room.sun_strength * np.array([1.0, 0.96, 0.9]))
        prog['u_sky'].value = tuple(room.ambient * np.array([0.95, 0.98, 1.05]))
        prog['u_ground'].value = tuple(room.ambient * np.array([0.75, 0.7, 0.65]))
        prog['u_eye'].value = tuple(eye)
        prog['u_light_vp'].write(light_vp.T.astype('f4').tobytes())
        prog['u_shadow'].value = 1

    def render(self, posed: PosedBody, camera: Camera,
               extrinsics: tuple[np.ndarray, np.ndarray],
               motion: np.ndarray | None = None) -> Frame:
        """Draw the posed body (world coordinates) as ``camera`` at (R, C) sees it.

        ``motion``: per mesh vertex (V, 2), how far it moves in the image while the shutter
        is open; the frame then carries that motion per pixel (for motion blur).
        """
        if self.body is None or self.room is None:
            raise RuntimeError('set_body and set_room come before render')
        verts = posed.vertices
        tri = verts[self._mesh_tris]
        face_n = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
        normals = self._normals @ face_n
        normals /= np.linalg.norm(normals, axis=1, keepdims=True) + 1e-12
        self._pos_buf.write(verts[self._corners].astype('f4').tobytes())
        self._nrm_buf.write(normals[self._corners].astype('f4').tobytes())
        moving = np.zeros((len(self._corners), 2)) if motion is None else motion[self._corners]
        self._motion_buf.write(moving.astype('f4').tobytes())
        ctx = self.ctx
        ctx.enable(ctx.DEPTH_TEST)
        # Shadow map: the sun's orthographic view of the body.
        lo, hi = verts.min(axis=0), verts.max(axis=0)
        mid = (lo + hi) / 2
        radius = float(np.linalg.norm(hi - lo)) / 2 + 0.2
        light_view = _look_at(mid - self.sun * 10.0, mid, np.array([0.0, 0.0, 1.0])
                              if abs(self.sun[1]) > 0.99 else np.array([0.0, 1.0, 0.0]))
        ortho = np.diag([1 / radius, 1 / radius, -2 / (20.0), 1.0])
        ortho[2, 3] = -1.0
        light_vp = ortho @ light_view
        self.shadow_fbo.use()
        self.shadow_fbo.clear(depth=1.0)
        self.depth_prog['u_view_proj'].write(light_vp.T.astype('f4').tobytes())
        self.body_depth_vao.render()
        # The camera's view.
        rot, centre = extrinsics
        view = np.eye(4)
        view[:3, :3] = rot
        view[:3, 3] = -rot @ centre
        proj = gl_projection(camera.intrinsics, camera.width, camera.height_px, NEAR, FAR)
        vp = (proj @ view).T.astype('f4').tobytes()
        self.fbo.use()
        self.fbo.clear(0.0, 0.0, 0.0, 0.0, depth=1.0)
        self.shadow_tex.use(location=1)
        for prog in (self.body_prog, self.room_prog):
            prog['u_view_proj'].write(vp)
            self._set_light_uniforms(prog, centre, light_vp)
        self._mask_tex.use(location=0)
        self.body_prog['u_masks'].value = 0
        self.body_vao.render()
        self.room_prog['u_texture'].value = 0
        for vao, name, tint in ((self.floor_vao, self.room.floor, self.room.floor_colour),
                                (self.wall_vao, self.room.wall, self.room.wall_colour)):
            self._texture(name).use(location=0)
            self.room_prog['u_tint'].value = colour(tint or TINTS[name])
            vao.render()
        image = np.frombuffer(self.fbo.read(components=3), np.uint8).reshape(
            self.height, self.width, 3)[::-1].copy()
        window = np.frombuffer(self.depth_tex.read(), np.float32).reshape(
            self.height, self.width)[::-1]
        flow = None
        if motion is not None:
            flow = np.frombuffer(self.motion_tex.read(), np.float32).reshape(
                self.height, self.width, 2)[::-1].copy()
        return Frame(image, linear_depth(window, NEAR, FAR), flow)
