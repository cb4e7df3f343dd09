"""Draw the exercise pictures (assets/exercises/<id>.png) and docs/exercises-sheet.png.

Run from the repository root:  .venv/bin/python tools/draw_exercises.py
One figure model (joint angles or planted feet, solved with two-link IK) draws every card, so
the style stays consistent: dark slate lines, a lighter slate for the far limbs, one orange
accent for what moves, a faint ground line. Drawn at 4x and downscaled with LANCZOS.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

if sys.version_info >= (3, 11):
    import tomllib
else:  # the app supports 3.10, whose standard library has no tomllib
    import tomli as tomllib

W, H, SS = 480, 360, 4  # output size and supersampling factor
GROUND = 326
INK, FAR, PROP, GHOST = "#2F3E4E", "#9AA6B2", "#B9C2CB", "#DCE1E6"
ACCENT, ACCENT_FAR, LINE = "#E07A2F", "#F2BE97", "#E4E8EC"
STROKE = 10
HEAD_R, NECK, TORSO, UPPER_ARM, FOREARM, HAND, THIGH, SHIN, FOOT = 24, 7, 78, 43, 40, 15, 54, 52, 19
STAND_H = THIGH + SHIN + STROKE / 2

Pt = tuple[float, float]
ROOT = Path(__file__).resolve().parent.parent / "assets"
OUT = ROOT / "exercises"


@dataclass(frozen=True)
class Arm:
    """Absolute angles (0 = hanging down, + = toward the facing side); or ``reach`` (IK)."""

    upper: float = 0
    fore: float = 0
    hand: float | None = None
    reach: Pt | None = None  # hand position relative to the shoulder, x toward facing
    elbow: str = "down"  # which IK solution: "down", "up" or "back"


@dataclass(frozen=True)
class Leg:
    """A planted foot at ``dx`` from the hip (``lift`` above ground) or free joint angles."""

    dx: float = 0
    foot: float = 90  # 90 = flat, pointing forward; less = on tiptoe; more = toes up
    lift: float = 0
    angles: Pt | None = None  # (thigh, shin) when the leg is off the ground


@dataclass(frozen=True)
class Pose:
    """A side-view pose. Angles in degrees; + leans toward the facing direction."""

    lean: float = 0
    curve: float = 0  # + rounds the upper back, - extends it
    neck: float = 0
    head_shift: float = 0
    near_arm: Arm = field(default_factory=lambda: Arm(6, 10))
    far_arm: Arm = field(default_factory=lambda: Arm(-6, -2))
    near_leg: Leg = field(default_factory=lambda: Leg(4))
    far_leg: Leg = field(default_factory=lambda: Leg(-4))
    drop: float = 0  # how far the hip sits below standing height


class Canvas:
    """A 4x supersampled drawing surface working in output pixels."""

    def __init__(self) -> None:
        self.img = Image.new("RGB", (W * SS, H * SS), "white")
        self.d = ImageDraw.Draw(self.img)

    def line(self, pts: Sequence[Pt], color: str, width: float = STROKE) -> None:
        """A polyline with round caps and joints."""
        big = [(x * SS, y * SS) for x, y in pts]
        w = round(width * SS)
        if len(big) > 1:
            self.d.line(big, fill=color, width=w, joint="curve")
        for x, y in big:
            r = w / 2
            self.d.ellipse((x - r, y - r, x + r, y + r), fill=color)

    def circle(
        self, c: Pt, r: float, color: str, width: float = STROKE, fill: str | None = None
    ) -> None:
        """An outlined (optionally filled) circle."""
        x, y = c[0] * SS, c[1] * SS
        rr = r * SS
        self.d.ellipse(
            (x - rr, y - rr, x + rr, y + rr), outline=color, width=round(width * SS), fill=fill
        )

    def dot(self, c: Pt, r: float, color: str) -> None:
        """A filled disc."""
        self.circle(c, r, color, width=0, fill=color)

    def poly(self, pts: Sequence[Pt], fill: str) -> None:
        """A filled polygon."""
        self.d.polygon([(x * SS, y * SS) for x, y in pts], fill=fill)

    def rect(
        self,
        box: tuple[float, float, float, float],
        color: str,
        fill: str | None = None,
        width: float = 5,
        radius: float = 6,
    ) -> None:
        """A rounded rectangle."""
        self.d.rounded_rectangle(
            [v * SS for v in box],
            radius=radius * SS,
            outline=color,
            fill=fill,
            width=round(width * SS),
        )

    def arrow(self, a: Pt, b: Pt, color: str = ACCENT, width: float = 6) -> None:
        """A straight arrow from ``a`` to ``b``."""
        self.line([a, b], color, width)
        self._head(b, math.atan2(b[1] - a[1], b[0] - a[0]), color, width)

    def arc_arrow(
        self, c: Pt, r: Pt | float, a0: float, a1: float, *, color: str = ACCENT, width: float = 6
    ) -> None:
        """An arrow along an (elliptic) arc from screen angle ``a0`` to ``a1`` (degrees)."""
        rx, ry = (r, r) if isinstance(r, int | float) else r
        n = max(8, int(abs(a1 - a0) / 4))
        pts = [
            (
                c[0] + rx * math.cos(math.radians(a0 + (a1 - a0) * i / n)),
                c[1] + ry * math.sin(math.radians(a0 + (a1 - a0) * i / n)),
            )
            for i in range(n + 1)
        ]
        self.line(pts, color, width)
        self._head(
            pts[-1], math.atan2(pts[-1][1] - pts[-3][1], pts[-1][0] - pts[-3][0]), color, width
        )

    def _head(self, tip: Pt, ang: float, color: str, width: float) -> None:
        size = width * 2.6
        left = (tip[0] - size * math.cos(ang - 0.5), tip[1] - size * math.sin(ang - 0.5))
        right = (tip[0] - size * math.cos(ang + 0.5), tip[1] - size * math.sin(ang + 0.5))
        ahead = (tip[0] + width * 0.5 * math.cos(ang), tip[1] + width * 0.5 * math.sin(ang))
        self.poly([ahead, left, right], color)

    def dashed(self, a: Pt, b: Pt, color: str, width: float = 4, dash: float = 10) -> None:
        """A dashed straight line."""
        length = math.dist(a, b)
        steps = int(length // (dash * 2)) + 1
        for i in range(steps):
            t0, t1 = i * 2 * dash / length, min(1.0, (i * 2 + 1) * dash / length)
            self.line([_lerp(a, b, t0), _lerp(a, b, t1)], color, width)

    def text(self, xy: Pt, s: str, size: int, color: str = INK) -> None:
        """Centred text."""
        self.d.text((xy[0] * SS, xy[1] * SS), s, fill=color, font=font(size * SS), anchor="mm")

    def ground(self, x0: float = 36, x1: float = 444) -> None:
        """The faint ground line."""
        self.line([(x0, GROUND + 1), (x1, GROUND + 1)], LINE, 3)

    def save(self, path: Path) -> None:
        """Downscale to the output size and write the PNG."""
        self.img.resize((W, H), Image.Resampling.LANCZOS).save(path, optimize=True)


def font(px: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu Sans Bold where installed, else Pillow's bundled font."""
    dejavu = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
    if dejavu.is_file():
        return ImageFont.truetype(dejavu, px)
    return ImageFont.load_default(px)


def _lerp(a: Pt, b: Pt, t: float) -> Pt:
    return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)


def _dir(angle: float, facing: int) -> Pt:
    """Unit vector for a limb angle: 0 = down, + = toward the facing side."""
    r = math.radians(angle)
    return (facing * math.sin(r), math.cos(r))


def _add(p: Pt, v: Pt, k: float = 1.0) -> Pt:
    return (p[0] + v[0] * k, p[1] + v[1] * k)


def _ik(a: Pt, b: Pt, l1: float, l2: float, pick: Callable[[Pt], float]) -> Pt:
    """The middle joint of a two-segment limb from ``a`` to ``b``; ``pick`` scores solutions."""
    d = min(math.dist(a, b), l1 + l2 - 0.01)
    base = math.atan2(b[1] - a[1], b[0] - a[0])
    alpha = math.acos(max(-1.0, min(1.0, (l1 * l1 + d * d - l2 * l2) / (2 * l1 * d))))
    cands = [
        (a[0] + l1 * math.cos(base + s * alpha), a[1] + l1 * math.sin(base + s * alpha))
        for s in (1, -1)
    ]
    return max(cands, key=pick)


def side_joints(
    p: Pose, x: float, facing: int = 1, scale: float = 1.0, hip_y: float | None = None
) -> dict[str, list[Pt]]:
    """Segment polylines of a side-view figure whose hip is at ``x``."""
    hy = GROUND - STAND_H * scale + p.drop * scale if hip_y is None else hip_y
    hip = (x, hy)
    up = (facing * math.sin(math.radians(p.lean)), -math.cos(math.radians(p.lean)))
    sh = _add(hip, up, TORSO * scale)
    back = (-facing * math.cos(math.radians(p.lean)), -math.sin(math.radians(p.lean)) * facing)
    ctrl = _add(_add(hip, up, TORSO * scale * 0.62), back, p.curve * scale)
    torso = [
        (
            hip[0] + 2 * t * (1 - t) * (ctrl[0] - hip[0]) + t * t * (sh[0] - hip[0]),
            hip[1] + 2 * t * (1 - t) * (ctrl[1] - hip[1]) + t * t * (sh[1] - hip[1]),
        )
        for t in (i / 12 for i in range(13))
    ]
    nk = (
        facing * math.sin(math.radians(p.lean + p.neck)),
        -math.cos(math.radians(p.lean + p.neck)),
    )
    neck_top = _add(_add(sh, nk, NECK * scale), (facing * p.head_shift * scale, 0))
    head = _add(neck_top, nk, HEAD_R * scale)
    segs: dict[str, list[Pt]] = {"torso": torso, "neck": [sh, neck_top], "head": [head]}
    for side, arm in (("near", p.near_arm), ("far", p.far_arm)):
        lu, lf = UPPER_ARM * scale, FOREARM * scale
        if arm.reach is not None:
            hand = (sh[0] + facing * arm.reach[0] * scale, sh[1] + arm.reach[1] * scale)
            picks = {
                "down": lambda q: q[1],
                "up": lambda q: -q[1],
                "back": lambda q: -facing * q[0],
            }
            elbow = _ik(sh, hand, lu, lf, picks[arm.elbow])
        else:
            elbow = _add(sh, _dir(arm.upper, facing), lu)
            hand = _add(elbow, _dir(arm.fore, facing), lf)
        segs[f"{side}_upper_arm"], segs[f"{side}_forearm"] = [sh, elbow], [elbow, hand]
        if arm.hand is not None:
            segs[f"{side}_hand"] = [hand, _add(hand, _dir(arm.hand, facing), HAND * scale)]
    legs = () if hip_y is not None else (("near", p.near_leg), ("far", p.far_leg))
    for side, leg in legs:
        u = _dir(leg.foot, facing)
        if leg.angles is None:
            low = max(-5 * u[1], FOOT * u[1], 0) * scale
            ankle = (x + facing * leg.dx * scale, GROUND - STROKE / 2 - low - leg.lift)
            knee = _ik(hip, ankle, THIGH * scale, SHIN * scale, lambda q: facing * q[0])
        else:
            knee = _add(hip, _dir(leg.angles[0], facing), THIGH * scale)
            ankle = _add(knee, _dir(leg.angles[1], facing), SHIN * scale)
        segs[f"{side}_thigh"], segs[f"{side}_shin"] = [hip, knee], [knee, ankle]
        segs[f"{side}_foot"] = [_add(ankle, u, -5 * scale), _add(ankle, u, FOOT * scale)]
    return segs


def draw_side(
    c: Canvas,
    p: Pose,
    x: float,
    *,
    facing: int = 1,
    accent: str = "",
    scale: float = 1.0,
    hip_y: float | None = None,
    ghost: bool = False,
) -> dict[str, list[Pt]]:
    """Draw a side-view figure; ``accent`` lists segment names or prefixes drawn in orange."""
    segs = side_joints(p, x, facing, scale, hip_y)
    marks = accent.split()

    def colour(name: str) -> str:
        if ghost:
            return GHOST
        hot = any(name == m or name.startswith(m + "_") or name.endswith("_" + m) for m in marks)
        far = name.startswith("far")
        return (ACCENT_FAR if far else ACCENT) if hot else (FAR if far else INK)

    order = [n for n in segs if n.startswith("far")] + ["torso", "neck"]
    order += [
        n
        for n in segs
        if n.startswith("near_") and ("leg" in n or "thigh" in n or "shin" in n or "foot" in n)
    ]
    order += [n for n in segs if n.startswith("near_") and n not in order]
    for name in order:
        c.line(segs[name], colour(name))
    head = segs["head"][0]
    r = HEAD_R * scale
    c.circle(head, r - STROKE / 2, colour("head"), fill="white")
    if not ghost:
        lean = math.radians(p.lean + p.neck)
        eye = _add(head, (facing * math.cos(lean), math.sin(lean) * facing), r * 0.48)
        c.dot(_add(eye, (0, -r * 0.12)), 2.6, INK)
    return segs


@dataclass(frozen=True)
class Front:
    """A front (or back) view pose: angles + lean to the viewer's right / outward."""

    tilt: float = 0
    head_tilt: float = 0
    shrug: float = 0
    left: Arm = field(default_factory=lambda: Arm(8, 4))
    right: Arm = field(default_factory=lambda: Arm(8, 4))
    stance: float = 16


def _elbow_pick(elbow: str, side: int) -> Callable[[Pt], float]:
    """Score IK solutions: the lower elbow, or the one further out to ``side``."""
    if elbow == "down":
        return lambda q: q[1]
    return lambda q: side * q[0]


def draw_front(
    c: Canvas,
    p: Front,
    x: float,
    *,
    accent: str = "",
    scale: float = 1.0,
    hip_y: float | None = None,
    ghost: bool = False,
    face: bool = True,
) -> dict[str, list[Pt]]:
    """Draw a front/back-view figure centred on ``x``; returns its segments."""
    hy = GROUND - STAND_H * scale if hip_y is None else hip_y
    t = math.radians(p.tilt)
    pelvis = (x, hy)
    neck_base = (x + math.sin(t) * TORSO * scale, hy - math.cos(t) * TORSO * scale)
    across = (math.cos(t), math.sin(t))
    segs: dict[str, list[Pt]] = {"torso": [pelvis, neck_base]}
    hips = {s: _add(pelvis, (s * 13 * scale, 0)) for s in (-1, 1)}
    segs["hips"] = [hips[-1], hips[1]]
    shoulders = {
        s: _add(_add(neck_base, across, s * 25 * scale), (0, -p.shrug * scale)) for s in (-1, 1)
    }
    segs["shoulders"] = [shoulders[-1], neck_base, shoulders[1]]
    ht = math.radians(p.tilt + p.head_tilt)
    nk = (math.sin(ht), -math.cos(ht))
    neck_top = _add(neck_base, nk, NECK * scale)
    segs["neck"] = [neck_base, neck_top]
    head = _add(neck_top, nk, HEAD_R * scale)
    for s, name in ((-1, "left"), (1, "right")):
        arm: Arm = p.left if s < 0 else p.right
        sh = shoulders[s]
        if arm.reach is not None:
            hand = (sh[0] + s * arm.reach[0] * scale, sh[1] + arm.reach[1] * scale)
            elbow = _ik(
                sh,
                hand,
                UPPER_ARM * scale,
                FOREARM * scale,
                _elbow_pick(arm.elbow, s),
            )
        else:
            elbow = _add(sh, _dir(arm.upper, s), UPPER_ARM * scale)
            hand = _add(elbow, _dir(arm.fore, s), FOREARM * scale)
        segs[f"{name}_arm"] = [sh, elbow, hand]
        if hip_y is not None:
            continue  # a close-up: no legs
        ankle = (x + s * p.stance * scale, GROUND - STROKE / 2)
        segs[f"{name}_leg"] = [hips[s], _lerp(hips[s], ankle, 0.5), ankle]
        segs[f"{name}_foot"] = [ankle, _add(ankle, (s * 10 * scale, 0))]
    marks = accent.split()
    for name in (
        "left_leg",
        "right_leg",
        "left_foot",
        "right_foot",
        "hips",
        "torso",
        "shoulders",
        "neck",
        "left_arm",
        "right_arm",
    ):
        if name in segs:
            c.line(segs[name], GHOST if ghost else (ACCENT if name in marks else INK))
    col = GHOST if ghost else (ACCENT if "head" in marks else INK)
    c.circle(head, HEAD_R * scale - STROKE / 2, col, fill="white")
    if face and not ghost:
        for s in (-1, 1):
            c.dot(
                _add(
                    _add(head, nk, HEAD_R * scale * 0.1), (-nk[1], nk[0]), s * HEAD_R * scale * 0.35
                ),
                2.4,
                INK,
            )
    segs["head"] = [head]
    return segs


# --- props ----------------------------------------------------------------------------------


def chair(c: Canvas, seat: Pt, facing: int = 1) -> None:
    """A side-view chair whose seat's back corner is at ``seat``."""
    x, y = seat
    front = x + facing * 52
    c.line([(x - facing * 4, y - 78), (x, y), (front, y)], PROP, 7)
    c.line([(x + facing * 4, y), (x + facing * 4, GROUND)], PROP, 6)
    c.line([(front - facing * 4, y), (front - facing * 4, GROUND)], PROP, 6)


def desk(c: Canvas, x0: float, x1: float, top: float = 214) -> None:
    """A side-view desk from ``x0`` to ``x1``."""
    c.line([(x0, top), (x1, top)], PROP, 8)
    for x in (x0 + 8, x1 - 8):
        c.line([(x, top), (x, GROUND)], PROP, 6)


def bottle(c: Canvas, center: Pt, scale: float = 1.0) -> None:
    """A water bottle with its water level."""
    x, y = center
    w, h = 13 * scale, 30 * scale
    c.rect(
        (x - w, y - h + 12 * scale, x + w, y + h), INK, fill="#DCEBF7", width=4, radius=6 * scale
    )
    c.rect(
        (x - w, y - h + 12 * scale, x + w, y - 2 * scale),
        INK,
        fill="white",
        width=4,
        radius=6 * scale,
    )
    c.rect(
        (x - 6 * scale, y - h, x + 6 * scale, y - h + 12 * scale), INK, fill=INK, width=3, radius=2
    )


def tree(c: Canvas, base: Pt, size: float = 1.0) -> None:
    """A simple tree standing on ``base``."""
    x, y = base
    c.line([(x, y), (x, y - 40 * size)], INK, 6)
    c.circle((x, y - 58 * size), 24 * size, INK, width=5, fill="#E9F1E3")


def hand(c: Canvas, wrist: Pt, spread: float, color: str, fist: bool = False) -> list[Pt]:
    """A front-view right hand, fingers up (or a fist); returns the finger tips."""
    x, y = wrist
    c.line([(x, y + 34), (x, y)], color, 16)
    if fist:
        c.rect((x - 38, y - 104, x + 38, y - 60), color, fill="white", width=STROKE, radius=16)
        for dx in (-13, 0, 13):
            c.line([(x + dx, y - 98), (x + dx, y - 66)], color, 4)
    c.rect((x - 38, y - 74, x + 38, y + 4), color, fill="white", width=STROKE, radius=18)
    if fist:
        c.line([(x - 38, y - 46), (x - 8, y - 56)], color, STROKE)
        return []
    tips = []
    fingers = ((-27, -3 * spread, 44), (-9, -spread, 56), (9, spread, 54), (27, 3 * spread, 42))
    for dx, ang, length in fingers:
        r = math.radians(ang)
        base = (x + dx, y - 76)
        tip = (base[0] + math.sin(r) * length, base[1] - math.cos(r) * length)
        c.line([base, tip], color, STROKE + 2)
        tips.append(tip)
    thumb = (x - 40, y - 30)
    r = math.radians(-60 - 2 * spread)
    tip = (thumb[0] + math.sin(r) * 40, thumb[1] - math.cos(r) * 40)
    c.line([thumb, tip], color, STROKE + 2)
    return [tip, *tips]


# --- the cards ------------------------------------------------------------------------------

STRIDE = Pose(
    drop=6, near_leg=Leg(30, 112), far_leg=Leg(-28, 48), near_arm=Arm(-28, -12), far_arm=Arm(26, 62)
)


def sit_to_stand(c: Canvas) -> None:
    c.ground()
    seated = Pose(
        lean=8,
        near_leg=Leg(THIGH),
        far_leg=Leg(THIGH - 6),
        drop=THIGH,
        near_arm=Arm(20, 80),
        far_arm=Arm(16, 76),
    )
    segs = draw_side(c, seated, 180, ghost=True)
    chair(c, (172, segs["torso"][0][1] + STROKE / 2 + 1))
    standing = Pose(lean=4, near_leg=Leg(0), far_leg=Leg(-6), near_arm=Arm(4, 6))
    draw_side(c, standing, 252, accent="near_thigh far_thigh")
    c.arc_arrow((246, 212), 46, 160, 236)
    c.arrow((310, 214), (310, 150))


def calf_raises(c: Canvas) -> None:
    c.ground()
    desk(c, 276, 420)
    pose = Pose(
        near_leg=Leg(0, 28),
        far_leg=Leg(-6, 28),
        near_arm=Arm(reach=(66, 68)),
        far_arm=Arm(reach=(60, 74)),
        drop=-14,
    )
    draw_side(c, pose, 200, accent="shin foot")
    c.dashed((150, GROUND - 4), (182, GROUND - 4), ACCENT_FAR, 3, 5)
    c.arrow((160, 306), (160, 262))


def posture_reset(c: Canvas) -> None:
    c.ground()
    segs = draw_side(c, Pose(neck=-2, near_leg=Leg(0), far_leg=Leg(0)), 240)
    top = segs["head"][0][1] - HEAD_R
    c.dashed((250, GROUND - 2), (250, top + 6), ACCENT_FAR, 3, 7)
    c.arrow((246, top - 6), (246, top - 48))
    sh = segs["neck"][0]
    for dx in (-30, 30):
        c.arrow((sh[0] + dx, sh[1] - 26), (sh[0] + dx, sh[1] + 4), width=5)


def march_in_place(c: Canvas) -> None:
    c.ground()
    pose = Pose(
        near_leg=Leg(angles=(78, -4), foot=100),
        far_leg=Leg(0),
        near_arm=Arm(-34, -4),
        far_arm=Arm(40, 110),
    )
    segs = draw_side(c, pose, 230, accent="near_thigh near_shin near_foot")
    knee = segs["near_thigh"][1]
    c.arrow((knee[0] + 34, knee[1] + 44), (knee[0] + 34, knee[1] - 6))
    c.arrow((knee[0] + 50, knee[1] - 6), (knee[0] + 50, knee[1] + 44), ACCENT_FAR, 5)


def shoulder_rolls(c: Canvas) -> None:
    c.ground(60, 420)
    segs = draw_side(
        c,
        Pose(near_arm=Arm(4, 8), far_arm=Arm(-4, -2)),
        220,
        scale=1.8,
        hip_y=360,
        accent="near_upper",
    )
    sh = segs["neck"][0]
    c.arc_arrow((sh[0] - 4, sh[1] + 12), (46, 40), 50, -200)


def eye_break(c: Canvas) -> None:
    c.ground(150, 444)
    x, y = 92, 168
    upper = [
        (x + 64 * math.cos(math.radians(a)), y - 44 * math.sin(math.radians(a)) ** 1.4)
        for a in range(0, 181, 6)
    ]
    lid = upper + [(px, 2 * y - py) for px, py in reversed(upper)]
    c.poly(lid, "white")
    c.line([*lid, lid[0]], INK)
    c.circle((x + 10, y), 22, INK, width=STROKE, fill="#DCEBF7")
    c.dot((x + 12, y), 10, INK)
    c.dot((x + 17, y - 6), 3.5, "white")
    tree(c, (404, GROUND), 1.5)
    c.dashed((170, y), (346, y + 16), ACCENT, 5, 9)
    c.arrow((344, y + 16), (362, y + 18))
    c.text((262, 142), "20 ft", 24)
    c.circle((262, 262), 30, INK, width=6, fill="white")
    c.line([(262, 262), (262, 244)], INK, 5)
    c.d.pieslice(
        [(232 + 9) * SS, (232 + 9) * SS, (292 - 9) * SS, (292 - 9) * SS], -90, -30, fill=ACCENT
    )
    c.line([(252, 228), (272, 228)], INK, 6)
    c.text((322, 264), "20 s", 22)


def shoulder_blade_squeeze(c: Canvas) -> None:
    c.ground()
    pose = Front(left=Arm(34, 150), right=Arm(34, 150))
    segs = draw_front(c, pose, 240, face=False)
    y = segs["torso"][1][1]
    for s in (-1, 1):
        c.line([(240 + s * 22, y + 10), (240 + s * 13, y + 40)], ACCENT, 8)
        c.arrow((240 + s * 58, y + 58), (240 + s * 24, y + 58))
    c.text((240, 34), "back view", 18, FAR)


def upper_back_round(c: Canvas) -> None:
    c.ground()
    pose = Pose(
        lean=10,
        curve=16,
        neck=34,
        near_arm=Arm(96, 90),
        far_arm=Arm(92, 90),
        near_leg=Leg(10),
        far_leg=Leg(2),
        drop=8,
    )
    segs = draw_side(c, pose, 210, accent="torso")
    mid = segs["torso"][8]
    c.arrow((mid[0] - 14, mid[1]), (mid[0] - 58, mid[1]))
    hand = segs["near_forearm"][1]
    c.arrow((hand[0] + 14, hand[1]), (hand[0] + 54, hand[1]), ACCENT_FAR, 5)


def thoracic_extension(c: Canvas) -> None:
    c.ground()
    pose = Pose(
        lean=-10,
        curve=-10,
        neck=-8,
        near_arm=Arm(reach=(-12, -36), elbow="up"),
        far_arm=Arm(reach=(-10, -34), elbow="up"),
        near_leg=Leg(-4),
        far_leg=Leg(-10),
    )
    segs = draw_side(c, pose, 240, accent="torso")
    hip = segs["torso"][0]
    c.arc_arrow((hip[0] + 40, hip[1]), 150, -104, -124)
    chest = segs["torso"][9]
    c.arrow((chest[0] + 30, chest[1] + 20), (chest[0] + 30, chest[1] - 18), ACCENT_FAR, 5)


def chin_tucks(c: Canvas) -> None:
    s = 2.2
    draw_side(c, Pose(neck=16, head_shift=12), 200, scale=s, hip_y=420, ghost=True)
    segs = draw_side(c, Pose(neck=-2, head_shift=-5), 200, scale=s, hip_y=420, accent="neck")
    head = segs["head"][0]
    y = head[1] + 18
    c.arrow((head[0] + 120, y), (head[0] + 66, y))


def neck_side_tilt(c: Canvas) -> None:
    s = 2.2
    pose = Front(left=Arm(22, 6), right=Arm(22, 6))
    draw_front(c, pose, 240, scale=s, hip_y=430, ghost=True)
    segs = draw_front(c, replace(pose, head_tilt=24), 240, scale=s, hip_y=430, accent="neck")
    c.arc_arrow(segs["neck"][0], 150, -92, -62)


def chest_opener(c: Canvas) -> None:
    c.ground()
    pose = Pose(
        lean=-4, curve=-6, near_arm=Arm(-34, -44, reach=(-36, 72)), far_arm=Arm(reach=(-38, 70))
    )
    segs = draw_side(c, pose, 236, accent="near_upper_arm near_forearm far_upper far_forearm")
    hand = segs["near_forearm"][1]
    c.arc_arrow((hand[0] + 10, hand[1] - 50), 46, 150, 210)
    chest = segs["torso"][10]
    c.arrow((chest[0] + 22, chest[1]), (chest[0] + 64, chest[1]))


def doorway_stretch(c: Canvas) -> None:
    c.ground()
    c.rect((176, 40, 196, GROUND), PROP, fill="#EEF1F4", width=4, radius=3)
    pose = Pose(
        lean=14,
        near_arm=Arm(reach=(-26, -40), elbow="back"),
        far_arm=Arm(reach=(-24, -42), elbow="back"),
        near_leg=Leg(30),
        far_leg=Leg(-24),
    )
    segs = draw_side(c, pose, 226, accent="near_upper_arm near_forearm")
    chest = segs["torso"][9]
    c.arrow((chest[0] + 24, chest[1] + 6), (chest[0] + 66, chest[1] + 6))


def hip_flexor_stretch(c: Canvas) -> None:
    c.ground()
    desk(c, 330, 440)
    pose = Pose(
        drop=20,
        near_leg=Leg(-50, 40),
        far_leg=Leg(40),
        near_arm=Arm(reach=(70, 80)),
        far_arm=Arm(reach=(72, 84)),
    )
    segs = draw_side(c, pose, 226, accent="near_thigh")
    hip = segs["near_thigh"][0]
    c.arrow((hip[0] - 6, hip[1] + 30), (hip[0] + 36, hip[1] + 30))


def hip_circles(c: Canvas) -> None:
    c.ground()
    pose = Front(
        tilt=-4,
        left=Arm(reach=(6, 80), elbow="out"),
        right=Arm(reach=(6, 80), elbow="out"),
        stance=30,
    )
    segs = draw_front(c, pose, 240)
    hip = segs["hips"][0]
    c.arc_arrow((240, hip[1] + 4), (64, 18), 200, 500)


def wall_calf_stretch(c: Canvas) -> None:
    c.ground()
    c.rect((372, 30, 392, GROUND), PROP, fill="#EEF1F4", width=4, radius=3)
    pose = Pose(
        lean=20,
        drop=8,
        near_leg=Leg(-70, 86),
        far_leg=Leg(18),
        near_arm=Arm(reach=(64, 4)),
        far_arm=Arm(reach=(62, 8)),
    )
    segs = draw_side(c, pose, 250, accent="near_shin")
    heel = segs["near_foot"][0]
    c.arrow((heel[0] - 18, heel[1] - 48), (heel[0] - 18, heel[1] - 10))


def wrist_flexor_stretch(c: Canvas) -> None:
    s = 1.6
    pose = Pose(near_arm=Arm(88, 90, hand=-8), far_arm=Arm(reach=(80, 22), elbow="down"))
    segs = draw_side(c, pose, 150, scale=s, hip_y=372, accent="near_forearm near_hand")
    tip = segs["near_hand"][1]
    c.arc_arrow((tip[0] + 2, tip[1] - 36), 50, 40, 125)


def finger_spreads(c: Canvas) -> None:
    c.ground(60, 420)
    hand(c, (130, 270), 0, FAR, fist=True)
    c.arrow((190, 210), (244, 210), ACCENT_FAR, 5)
    tips = hand(c, (330, 270), 8, INK)
    for (x, y), ang in zip(tips[1:], (-28, -9, 9, 26), strict=True):
        r = math.radians(ang)
        c.arrow(
            (x + math.sin(r) * 14, y - math.cos(r) * 14),
            (x + math.sin(r) * 34, y - math.cos(r) * 34),
            width=5,
        )


def side_bend(c: Canvas) -> None:
    c.ground()
    pose = Front(tilt=16, head_tilt=4, left=Arm(196, 232), right=Arm(reach=(2, 84)), stance=22)
    segs = draw_front(c, pose, 236, accent="left_arm")
    c.arc_arrow((segs["torso"][0][0], GROUND - 90), 200, -112, -72)


def walk_heel_to_toe(c: Canvas) -> None:
    c.ground()
    segs = draw_side(c, STRIDE, 220, accent="near_foot")
    heel = segs["near_foot"][0]
    c.arc_arrow((heel[0] + 14, heel[1] - 4), (30, 18), 110, 30)


def walk_arm_swing(c: Canvas) -> None:
    c.ground()
    segs = draw_side(c, STRIDE, 230, accent="near_upper_arm near_forearm far_upper far_forearm")
    sh = segs["neck"][0]
    c.arc_arrow(sh, 104, 118, 150)
    c.arc_arrow(sh, 104, 70, 32, color=ACCENT_FAR, width=5)


def walk_tall(c: Canvas) -> None:
    c.ground()
    pose = Pose(
        neck=-2,
        near_leg=STRIDE.near_leg,
        far_leg=STRIDE.far_leg,
        drop=6,
        near_arm=Arm(-20, -8),
        far_arm=Arm(20, 40),
    )
    segs = draw_side(c, pose, 230)
    top = segs["head"][0][1] - HEAD_R
    c.dashed((240, GROUND - 2), (240, top + 4), ACCENT_FAR, 3, 7)
    c.arrow((236, top - 6), (236, top - 48))


def water_refill_walk(c: Canvas) -> None:
    c.ground()
    segs = draw_side(c, STRIDE, 210)
    hand_pt = segs["far_forearm"][1]
    bottle(c, (hand_pt[0] + 6, hand_pt[1] + 6))
    for i, y in enumerate((150, 184, 218)):
        c.line([(120 - i * 6, y), (150 - i * 6, y)], ACCENT_FAR, 5)
    c.arrow((330, 120), (392, 120))


def stairs_walk(c: Canvas) -> None:
    c.ground(36, 150)
    run, rise = 62, 28
    pts: list[Pt] = [(150, GROUND)]
    for i in range(1, 6):
        pts += [(150 + run * (i - 1), GROUND - rise * i), (150 + run * i, GROUND - rise * i)]
    c.line(pts, PROP, 6)
    pose = Pose(
        lean=10,
        drop=-rise + 4,
        near_leg=Leg(24, lift=2 * rise),
        far_leg=Leg(-34, 60, lift=rise),
        near_arm=Arm(24, 50),
        far_arm=Arm(-20, 6),
    )
    hand_pt = side_joints(pose, 232)["near_forearm"][1]
    slope = rise / run
    c.line([(x, hand_pt[1] - slope * (x - hand_pt[0])) for x in (120, 450)], PROP, 6)
    draw_side(c, pose, 232, accent="near_thigh near_shin")
    c.arrow((330, 262), (392, 234))


CARDS: dict[str, Callable[[Canvas], None]] = {
    "sit-to-stand": sit_to_stand,
    "calf-raises": calf_raises,
    "posture-reset": posture_reset,
    "march-in-place": march_in_place,
    "shoulder-rolls": shoulder_rolls,
    "eye-break-20-20-20": eye_break,
    "shoulder-blade-squeeze": shoulder_blade_squeeze,
    "upper-back-round": upper_back_round,
    "thoracic-extension": thoracic_extension,
    "chin-tucks": chin_tucks,
    "neck-side-tilt": neck_side_tilt,
    "chest-opener": chest_opener,
    "doorway-stretch": doorway_stretch,
    "hip-flexor-stretch": hip_flexor_stretch,
    "hip-circles": hip_circles,
    "wall-calf-stretch": wall_calf_stretch,
    "wrist-flexor-stretch": wrist_flexor_stretch,
    "finger-spreads": finger_spreads,
    "side-bend": side_bend,
    "walk-heel-to-toe": walk_heel_to_toe,
    "walk-arm-swing": walk_arm_swing,
    "walk-tall": walk_tall,
    "water-refill-walk": water_refill_walk,
    "stairs-walk": stairs_walk,
}


def contact_sheet(titles: dict[str, str], dest: Path, cols: int = 4) -> None:
    """All cards at display size with their titles, for the README."""
    cw, ch, pad = 240, 180, 16
    rows = -(-len(titles) // cols)
    sheet = Image.new("RGB", (cols * (cw + pad) + pad, rows * (ch + 40 + pad) + pad), "#F4F6F8")
    draw = ImageDraw.Draw(sheet)
    for i, (ex_id, title) in enumerate(titles.items()):
        x = pad + (i % cols) * (cw + pad)
        y = pad + (i // cols) * (ch + 40 + pad)
        draw.rounded_rectangle(
            (x - 1, y - 1, x + cw, y + ch + 40), 8, fill="white", outline="#D5DBE1"
        )
        with Image.open(OUT / f"{ex_id}.png") as pic:
            sheet.paste(pic.resize((cw, ch), Image.Resampling.LANCZOS), (x, y))
        draw.text((x + cw // 2, y + ch + 20), title, fill=INK, font=font(15), anchor="mm")
    dest.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(dest, optimize=True)


def main(only: Sequence[str] = ()) -> int:
    """Draw every card (or the ``only`` ones) and the contact sheet."""
    library = tomllib.loads((OUT / "exercises.toml").read_text(encoding="utf-8"))
    titles = {e["id"]: e["title"] for e in library["exercise"]}
    missing = sorted(set(titles) - set(CARDS))
    if missing:
        print(f"no drawing for: {', '.join(missing)}", file=sys.stderr)
        return 1
    for ex_id in titles:
        if only and ex_id not in only:
            continue
        canvas = Canvas()
        CARDS[ex_id](canvas)
        canvas.save(OUT / f"{ex_id}.png")
    contact_sheet(titles, ROOT.parent / "docs" / "exercises-sheet.png")
    print(f"drew {len(only) or len(titles)} pictures into {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
