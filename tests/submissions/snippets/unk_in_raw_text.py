def unknown_token_count(tokenizer, text):
    return text.count(tokenizer.unk_token or "[UNK]")  # counts the string in the raw text, not the tokens
