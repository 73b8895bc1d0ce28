"""Procedural humanoid rigs for the retargeting tests (helpers only, no tests here).

Rigs are built from the canonical proportions (whatever they currently are),
scaled, posed into an A-pose and given unusual bone rolls, then named like
Mixamo, the UE5 mannequin or the Bandai BVH skeleton, with the extra bones
those rigs have (split spine, twist bones, fingers, a floor root).
"""

from __future__ import annotations

import numpy as np

from engine import quaternion as quat
from engine.retarget import TargetSkeleton
from engine.retarget.rest import canonical_pelvis_height
from engine.skeleton import CANONICAL, JOINT_NAMES, Skeleton

J = {n: i for i, n in enumerate(JOINT_NAMES)}


def posed_joints(scale: float = 1.0, a_pose_deg: float = 45.0, floor: bool = True) -> np.ndarray:
    """Canonical rest joint positions, arms lowered by `a_pose_deg`, pelvis above a floor at z=0."""
    p = CANONICAL.rest_positions().copy()
    for side, sign in (("left", 1.0), ("right", -1.0)):
        pivot = p[J[f"{side}_shoulder"]]
        q = quat.from_axis_angle(np.array([0.0, sign * np.radians(a_pose_deg), 0.0]))
        for name in ("elbow", "wrist"):
            p[J[f"{side}_{name}"]] = pivot + quat.rotate(q, p[J[f"{side}_{name}"]] - pivot)
    if floor:
        p[:, 2] += canonical_pelvis_height()
    return p * scale


def _lerp(a, b, t):
    return a + (b - a) * t


def rows_for(scheme: str, scale: float = 1.0, a_pose_deg: float = 45.0, seed: int = 0) -> list:
    """(name, parent, head, tail, roll) rows of a rig named after `scheme` ('mixamo', 'ue5', 'bandai')."""
    p = posed_joints(scale, a_pose_deg)
    rng = np.random.default_rng(seed)
    rows: list = []

    def add(name, parent, head, tail):
        rows.append((name, parent, tuple(map(float, head)), tuple(map(float, tail)), float(rng.uniform(-np.pi, np.pi))))

    up = np.array([0.0, 0.0, 0.12]) * scale
    fwd = np.array([0.0, -0.06, 0.0]) * scale
    if scheme == "mixamo":
        m = "mixamorig:"
        add(m + "Hips", None, p[J["pelvis"]], p[J["spine1"]])
        add(m + "Spine", m + "Hips", p[J["spine1"]], p[J["spine2"]])
        add(m + "Spine1", m + "Spine", p[J["spine2"]], p[J["spine3"]])
        add(m + "Spine2", m + "Spine1", p[J["spine3"]], p[J["neck"]])
        add(m + "Neck", m + "Spine2", p[J["neck"]], p[J["head"]])
        add(m + "Head", m + "Neck", p[J["head"]], p[J["head"]] + up)
        add(m + "HeadTop_End", m + "Head", p[J["head"]] + up, p[J["head"]] + 1.5 * up)
        for side, S in (("left", "Left"), ("right", "Right")):
            j = {
                k: p[J[f"{side}_{k}"]] for k in ("collar", "shoulder", "elbow", "wrist", "hip", "knee", "ankle", "foot")
            }
            add(f"{m}{S}Shoulder", m + "Spine2", j["collar"], j["shoulder"])
            add(f"{m}{S}Arm", f"{m}{S}Shoulder", j["shoulder"], j["elbow"])
            add(f"{m}{S}ForeArm", f"{m}{S}Arm", j["elbow"], j["wrist"])
            hand_tip = j["wrist"] + 0.35 * (j["wrist"] - j["elbow"])
            add(f"{m}{S}Hand", f"{m}{S}ForeArm", j["wrist"], hand_tip)
            add(f"{m}{S}HandIndex1", f"{m}{S}Hand", hand_tip, _lerp(j["wrist"], hand_tip, 1.3))
            add(f"{m}{S}UpLeg", m + "Hips", j["hip"], j["knee"])
            add(f"{m}{S}Leg", f"{m}{S}UpLeg", j["knee"], j["ankle"])
            add(f"{m}{S}Foot", f"{m}{S}Leg", j["ankle"], j["foot"])
            add(f"{m}{S}ToeBase", f"{m}{S}Foot", j["foot"], j["foot"] + fwd)
    elif scheme == "ue5":
        add("root", None, np.array([0.0, 0.0, 0.0]), np.array([0.0, 0.3, 0.0]) * scale)
        add("pelvis", "root", p[J["pelvis"]], p[J["spine1"]])
        s1, s2, s3, nk, hd = (p[J[n]] for n in ("spine1", "spine2", "spine3", "neck", "head"))
        add("spine_01", "pelvis", s1, _lerp(s1, s2, 0.5))
        add("spine_02", "spine_01", _lerp(s1, s2, 0.5), s2)
        add("spine_03", "spine_02", s2, _lerp(s2, s3, 0.5))
        add("spine_04", "spine_03", _lerp(s2, s3, 0.5), s3)
        add("spine_05", "spine_04", s3, nk)
        add("neck_01", "spine_05", nk, _lerp(nk, hd, 0.5))
        add("neck_02", "neck_01", _lerp(nk, hd, 0.5), hd)
        add("head", "neck_02", hd, hd + up)
        for side, s in (("left", "l"), ("right", "r")):
            j = {
                k: p[J[f"{side}_{k}"]] for k in ("collar", "shoulder", "elbow", "wrist", "hip", "knee", "ankle", "foot")
            }
            add(f"clavicle_{s}", "spine_05", j["collar"], j["shoulder"])
            add(f"upperarm_{s}", f"clavicle_{s}", j["shoulder"], j["elbow"])
            add(f"upperarm_twist_01_{s}", f"upperarm_{s}", _lerp(j["shoulder"], j["elbow"], 0.5), j["elbow"])
            add(f"lowerarm_{s}", f"upperarm_{s}", j["elbow"], j["wrist"])
            add(f"lowerarm_twist_01_{s}", f"lowerarm_{s}", _lerp(j["elbow"], j["wrist"], 0.5), j["wrist"])
            hand_tip = j["wrist"] + 0.35 * (j["wrist"] - j["elbow"])
            add(f"hand_{s}", f"lowerarm_{s}", j["wrist"], hand_tip)
            add(f"index_01_{s}", f"hand_{s}", hand_tip, _lerp(j["wrist"], hand_tip, 1.3))
            add(f"thigh_{s}", "pelvis", j["hip"], j["knee"])
            add(f"thigh_twist_01_{s}", f"thigh_{s}", _lerp(j["hip"], j["knee"], 0.3), j["knee"])
            add(f"calf_{s}", f"thigh_{s}", j["knee"], j["ankle"])
            add(f"foot_{s}", f"calf_{s}", j["ankle"], j["foot"])
            add(f"ball_{s}", f"foot_{s}", j["foot"], j["foot"] + fwd)
    else:
        raise ValueError(scheme)
    return rows


def target_from_rows(rows, object_matrix=None, name="Rig") -> TargetSkeleton:
    """The TargetSkeleton of `rows`, whose heads/tails are given in world space when object_matrix is set."""
    if object_matrix is None:
        return TargetSkeleton.from_bones(rows, name=name)
    inv = np.linalg.inv(object_matrix)

    def to_arm(v):
        return tuple((inv @ np.append(v, 1.0))[:3])

    local = [(n, par, to_arm(h), to_arm(t), r) for n, par, h, t, r in rows]
    return TargetSkeleton.from_bones(local, object_matrix=object_matrix, name=name)


def object_matrix(
    rot_x_deg: float = 0.0, rot_z_deg: float = 0.0, scale: float = 1.0, loc=(0.0, 0.0, 0.0)
) -> np.ndarray:
    m = np.eye(4)
    rz = quat.to_matrix(quat.about_z(np.radians(rot_z_deg)))
    rx = quat.to_matrix(quat.from_axis_angle(np.array([np.radians(rot_x_deg), 0.0, 0.0])))
    m[:3, :3] = rz @ rx * scale
    m[:3, 3] = loc
    return m


BANDAI_NAMES = {
    "pelvis": "Hips", "spine1": "Spine", "spine3": "Chest", "neck": "Neck", "head": "Head",
    **{f"{s}_{j}": f"{b}_{S}" for s, S in (("left", "L"), ("right", "R"))
       for j, b in (("collar", "Shoulder"), ("shoulder", "UpperArm"), ("elbow", "LowerArm"), ("wrist", "Hand"),
                    ("hip", "UpperLeg"), ("knee", "LowerLeg"), ("ankle", "Foot"), ("foot", "Toes"))},
}  # fmt: skip


def bandai_skeleton(a_pose_deg: float = 30.0) -> Skeleton:
    """A Bandai-named skeleton (joint_Root > Hips > Spine > Chest ...; no spine2) in an A-pose, metres."""
    p = posed_joints(1.0, a_pose_deg)
    names = ["joint_Root"]
    parents = [-1]
    offsets = [np.zeros(3)]
    order = ["pelvis", "spine1", "spine3", "neck", "head"]
    order += [f"{s}_{j}" for s in ("left", "right") for j in ("collar", "shoulder", "elbow", "wrist")]
    order += [f"{s}_{j}" for s in ("left", "right") for j in ("hip", "knee", "ankle", "foot")]
    canon_parent = {"pelvis": None, "spine1": "pelvis", "spine3": "spine1", "neck": "spine3", "head": "neck"}
    for s in ("left", "right"):
        canon_parent.update({f"{s}_collar": "spine3", f"{s}_shoulder": f"{s}_collar", f"{s}_elbow": f"{s}_shoulder",
                             f"{s}_wrist": f"{s}_elbow", f"{s}_hip": "pelvis", f"{s}_knee": f"{s}_hip",
                             f"{s}_ankle": f"{s}_knee", f"{s}_foot": f"{s}_ankle"})  # fmt: skip
    for j in order:
        cp = canon_parent[j]
        names.append(BANDAI_NAMES[j])
        if cp is None:
            parents.append(0)
            offsets.append(p[J[j]] - np.array([0.0, 0.0, 0.0]))
        else:
            parents.append(names.index(BANDAI_NAMES[cp]))
            offsets.append(p[J[j]] - p[J[cp]])
    return Skeleton(tuple(names), tuple(parents), np.array(offsets))


def expected_positions(motion, target: TargetSkeleton, mapping, result, root_motion: str = "full") -> dict:
    """The source motion re-proportioned to the target: armature-space joint positions (T,3).

    Main-chain joints sit at the target's segment length along the source's
    segment direction; side branches (hips off the pelvis, collars off the
    chest) keep the target's rest offset, turned with their parent joint.
    """
    from engine.retarget.rest import next_mapped
    from engine.retarget.solve import _root_path
    from engine.skeleton import PARENTS

    al = result.alignment
    pos_c, rot_c = motion.forward_kinematics()
    heads = target.heads
    ref = {j: target.index(mapping.reference(j)) for j in mapping.joints}
    out = {"pelvis": al.to_armature(_root_path(motion, root_motion))}
    f, fi = al.frame, quat.conjugate(al.frame)
    for j, name in enumerate(JOINT_NAMES):
        if name == "pelvis" or name not in mapping.joints:
            continue
        a = PARENTS[j]
        while JOINT_NAMES[a] not in mapping.joints:
            a = PARENTS[a]
        an = JOINT_NAMES[a]
        rest_off = heads[ref[name]] - heads[ref[an]]
        if next_mapped(an, mapping.joints) == name:
            d = al.direction(pos_c[:, j] - pos_c[:, a])
            d /= np.linalg.norm(d, axis=-1, keepdims=True)
            out[name] = out[an] + d * np.linalg.norm(rest_off)
        else:
            delta = quat.multiply(quat.multiply(f, rot_c[:, a]), fi)
            out[name] = out[an] + quat.rotate(quat.multiply(delta, al.compensation[an]), rest_off)
    return out


def character_height(result) -> float:
    """Rest height of the character in armature units (floor to head joint, canonical proportions)."""
    p = CANONICAL.rest_positions()
    return float(result.alignment.scale * (p[J["head"], 2] - p[:, 2].min()))


def to_world(target: TargetSkeleton, points: np.ndarray) -> np.ndarray:
    m = target.object_matrix
    return points @ m[:3, :3].T + m[:3, 3]


#: Character Creator / ActorCore names for the Mixamo rows
CC_NAMES = {
    "Hips": "CC_Base_Hip", "Spine": "CC_Base_Waist", "Spine1": "CC_Base_Spine01", "Spine2": "CC_Base_Spine02",
    "Neck": "CC_Base_NeckTwist01", "Head": "CC_Base_Head", "HeadTop_End": "CC_Base_HeadTop",
    **{f"{S}{m}": f"CC_Base_{S[0]}_{c}" for S in ("Left", "Right")
       for m, c in (("Shoulder", "Clavicle"), ("Arm", "Upperarm"), ("ForeArm", "Forearm"), ("Hand", "Hand"),
                    ("HandIndex1", "Index1"), ("UpLeg", "Thigh"), ("Leg", "Calf"), ("Foot", "Foot"),
                    ("ToeBase", "ToeBase"))},
}  # fmt: skip


def cc_rows(rows) -> list:
    """Mixamo rows renamed like a Character Creator rig, under a CC_Base_BoneRoot bone on the floor."""
    names = {r[0]: CC_NAMES[r[0].replace("mixamorig:", "")] for r in rows}
    out = [("CC_Base_BoneRoot", None, (0.0, 0.0, 0.0), (0.0, 0.0, 0.1), 0.0)]
    out += [(names[n], names[p] if p else "CC_Base_BoneRoot", h, t, r) for n, p, h, t, r in rows]
    return out


def stretched_arms(rows, factor):
    """Mixamo rows with arms `factor` times the canonical length (so canonical targets alone would miss)."""
    shoulders = {r[0]: np.array(r[2]) for r in rows if r[0].endswith(("LeftArm", "RightArm"))}
    out = []
    for name, parent, head, tail, roll in rows:
        side = next((s for s in shoulders if name.startswith(s[: -len("Arm")]) and "Shoulder" not in name), None)
        if side is not None and ("Arm" in name or "Hand" in name):
            pivot = shoulders[side]
            head, tail = (tuple(pivot + factor * (np.array(v) - pivot)) for v in (head, tail))
        out.append((name, parent, head, tail, roll))
    return out
