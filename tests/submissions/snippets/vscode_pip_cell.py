%pip install -q transformers
