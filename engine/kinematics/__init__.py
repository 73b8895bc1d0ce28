"""Kinematics toolkit: the one owner of FK, IK, foot contact and the time filters.

- fk.py       forward kinematics through rotation matrices (fast on few frames, whole or one chain)
- ik.py       two-bone (analytic) and bounded CCD inverse kinematics, `reach` picks one
- contact.py  the foot-contact definition (height and speed thresholds) and contact runs
- filters.py  smoothing over time, smoothstep and minimum-jerk blends, fades
- spline.py   least-jerk smoothing of a path between frames that stay exact (foot goals, guidance corrections)

Clean-up, constraint guidance, features (training labels), retargeting's
foot lock and the benchmark's skating metric all use these, so a threshold or
a solver changes in one place. Numpy only.
"""
