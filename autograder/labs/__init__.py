"""Lab definitions: one sub-package per lab, each listing its parts and points."""
