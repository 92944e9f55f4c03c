# Look at a lot of the vocabulary (about 15,000 characters of output)
for token_id in range(600):
    print(f"{token_id:6d} {gpt2_tokenizer.convert_ids_to_tokens(token_id)!r:>20}")
