"""Model building, training, export and evaluation (installed as ``pictag.models``).

Training code needs the ``[train]`` extra (torch, ultralytics, nncf); nothing
here is imported by the runtime.
"""
