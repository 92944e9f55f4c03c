def subword_splits(tokenizer, words):
    splits = {}
    for word in words:
        input_ids = tokenizer(word)["input_ids"]  # includes [CLS] and [SEP]
        splits[word] = tokenizer.convert_ids_to_tokens(input_ids)
    return splits
