"""BVH import and export: the only place where BVH axes and units meet the engine's.

`read_bvh` reads any BVH file: any rotation channel order per joint, position
channels on any joint, End Sites, metres/centimetres/millimetres/inches, Y-up
or Z-up. It returns a Motion whose skeleton is built from the file (joints in
file order, or in canonical order when the file holds the canonical
skeleton), so that FK of the result reproduces the file's world joint
positions in the engine frame (metres, Z up, facing -Y).

Conventions, chosen to agree with Blender's importer (`io_anim_bvh`):

- Rotation channels apply in listed order: "Zrotation Xrotation Yrotation"
  is R = Rz Rx Ry. Rest pose = OFFSETs with identity rotations, as in the
  engine, so offsets are only axis-converted and rotations conjugated.
- up="Y" (the BVH norm and Blender's default: forward -Z, up Y) maps file
  (x, y, z) to engine (x, -z, y); up="Z" takes file axes as they are.
- Position channels replace the OFFSET: the root's give the root
  translation; a non-root joint's give its offset (axes without a channel
  read as 0). The engine has fixed bone lengths, so a non-root joint takes
  the mean over frames, with a warning when it moves by more than 1 mm.
  One exception keeps such files exact: a root with a single child that
  moves (joint_Root > Hips in the Bandai Namco files) is folded away, and
  that child becomes the Motion's root with the root's transform composed
  in, frame by frame.
- End Sites are not joints; they only help to guess the units.
- `scale` on reading multiplies file values into metres (0.01 or "cm" for a
  centimetre file); None guesses from the rest pose's size. On writing it
  multiplies metres into file units (100 or "cm" writes centimetres), like
  the `global_scale` of Blender's importer and exporter.

`write_bvh` writes one root with 6 channels and 3 rotation channels for every
other joint, an End Site per leaf, the skeleton's joint names, to a temporary
file that replaces `path` only once it is complete.
"""

from .bvh_parse import read_bvh
from .bvh_write import write_bvh

__all__ = ["read_bvh", "write_bvh"]
