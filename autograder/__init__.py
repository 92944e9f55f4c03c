"""Course tooling for the "Encoders vs decoders" lab: reference models, builds and the autograder."""

__version__ = "0.1.0"
