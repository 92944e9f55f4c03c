def subword_splits(tokenizer, words):
    splits = {}
    for word in words:
        pieces = tokenizer.tokenize(word)
        splits[word] = [piece.removeprefix("##") for piece in pieces]  # drops WordPiece's ## markers
    return splits
