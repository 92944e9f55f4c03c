def special_token_positions(tokenizer, input_ids):
    special_ids = set(tokenizer.all_special_ids)
    positions = {}
    for position, token_id in enumerate(input_ids, start=1):  # counts positions from 1
        if token_id in special_ids:
            positions.setdefault(tokenizer.convert_ids_to_tokens(token_id), []).append(position)
    return positions
