def decode_steps(tokenizer, token_ids, prompt_length):
    # the whole text so far at each step, instead of the one new token
    return [tokenizer.decode(token_ids[: i + 1]) for i in range(prompt_length, len(token_ids))]
