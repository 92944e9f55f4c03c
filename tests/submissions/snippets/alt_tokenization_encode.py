def model_input_table(tokenizer, text):
    ids = tokenizer.encode(text)
    tokens = tokenizer.convert_ids_to_tokens(ids)
    return [(ids[i], tokens[i]) for i in range(len(ids))]


def subword_splits(tokenizer, words):
    return {w: tokenizer.convert_ids_to_tokens(tokenizer.encode(w, add_special_tokens=False)) for w in words}


def special_token_positions(tokenizer, input_ids):
    tokens = tokenizer.convert_ids_to_tokens(list(input_ids))
    special = set(tokenizer.all_special_tokens)
    result = {}
    for i, token in enumerate(tokens):
        if token in special:
            result[token] = result.get(token, []) + [i]
    return result


def unknown_token_count(tokenizer, text):
    unk = tokenizer.unk_token_id
    return 0 if unk is None else sum(1 for i in tokenizer.encode(text) if i == unk)
