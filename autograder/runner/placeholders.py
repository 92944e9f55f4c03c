"""Arguments a hidden test passes for a model or tokenizer: the child replaces each with its own copy of
that role's (`child.Child._resolve`), so no model object ever crosses the process boundary.

    student.call("classify", model("encoder"), tokenizer("encoder"), text)
"""

PLACEHOLDERS = ("$model", "$tokenizer", "$tokenizer_without_unknown")


def model(role: str) -> dict:
    """An argument that the child replaces with its own copy of the model of `role`."""
    return {"$model": role}


def tokenizer(role: str, unknown_token: bool = True) -> dict:
    """An argument that the child replaces with its own copy of the tokenizer of `role`; with
    `unknown_token=False`, with a copy of it that names no unknown token (`models.without_unknown_token`)."""
    return {"$tokenizer" if unknown_token else "$tokenizer_without_unknown": role}
