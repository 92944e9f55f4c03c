"""The "Encoders vs decoders" lab: its parts, their notebooks and points (lab-spec.md)."""

from pathlib import Path

from autograder.course import Lab, Part

_FOLDER = Path(__file__).resolve().parent
_REPO = _FOLDER.parents[2]  # the course repository: its top-level solutions/ and assignments/

LAB = Lab(
    id="encoders_decoders",
    title="Encoders vs decoders",
    parts=(
        Part(1, "part1_tokenization", "Tokenization inspection", 20),
        Part(2, "part2_hidden_states", "Embeddings and hidden states", 25),
        Part(3, "part3_softmax", "Softmax over logits", 20),
        Part(4, "part4_greedy_decoding", "A manual greedy GPT-2 loop", 25),
        Part(5, "part5_reflection", "Reflection: encoders vs decoders", 0, manual_points=10),
    ),
    folder=_FOLDER,
    solutions=_REPO / "solutions" / "encoders_decoders",
    assignments=_REPO / "assignments" / "encoders_decoders",
    roles=("encoder", "encoder_alt", "decoder", "decoder_alt", "decoder_eos"),
    runtime=("__init__.py", "compare.py", "expected.py", "public.py"),
    forbidden="autograder.labs.encoders_decoders.forbidden",
)
LAB_ID, PARTS = LAB.id, LAB.parts
