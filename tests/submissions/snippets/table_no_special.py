def model_input_table(tokenizer, text):
    input_ids = tokenizer(text, add_special_tokens=False)["input_ids"]  # [CLS] and [SEP] missing
    return list(zip(input_ids, tokenizer.convert_ids_to_tokens(input_ids)))
