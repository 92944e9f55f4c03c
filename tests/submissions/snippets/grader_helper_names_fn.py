def decode_steps(tokenizer, token_ids, prompt_length):
    def check(piece):  # every generated id decodes on its own
        assert isinstance(piece, str)
        return piece

    return [check(tokenizer.decode([token_id])) for token_id in token_ids[prompt_length:]]
