def decode_steps(tokenizer, token_ids, prompt_length):
    return tokenizer.convert_ids_to_tokens(token_ids[prompt_length:])  # vocabulary tokens ('Ġthe'), not text
