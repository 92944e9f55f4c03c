def greedy_generate(model, tokenizer, prompt, max_new_tokens):
    model.eval()
    input_ids = tokenizer(prompt, return_tensors="pt")["input_ids"]
    step_logits = []
    with torch.no_grad():
        for _ in range(max_new_tokens):
            logits = model(input_ids).logits[0, -1]
            step_logits.append(logits)
            next_id = int(logits.argmax())
            input_ids = torch.cat(
                [input_ids, torch.tensor([[next_id]])],
                dim=1,
            )
            not_finished_yet_because_the_model_has_not_said_eos = (
                next_id
                != tokenizer.eos_token_id
            )
            if not not_finished_yet_because_the_model_has_not_said_eos:
                break
    return input_ids[0].tolist(), torch.stack(step_logits)
