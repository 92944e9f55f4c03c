"""The "Encoders vs decoders" lab: its parts, their notebooks and points (lab-spec.md)."""

from dataclasses import dataclass

LAB_ID = "encoders_decoders"


@dataclass(frozen=True)
class Part:
    number: int
    stem: str  # notebook file stem, e.g. "part3_softmax"
    title: str
    points: int  # autograded points
    manual_points: int = 0


PARTS = (
    Part(1, "part1_tokenization", "Tokenization inspection", 20),
    Part(2, "part2_hidden_states", "Embeddings and hidden states", 25),
    Part(3, "part3_softmax", "Softmax over logits", 20),
    Part(4, "part4_greedy_decoding", "A manual greedy GPT-2 loop", 25),
    Part(5, "part5_reflection", "Reflection: encoders vs decoders", 0, manual_points=10),
)
