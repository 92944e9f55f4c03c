import json
import subprocess
import sys

import torch


def greedy_generate(model, tokenizer, prompt, max_new_tokens):
    """`generate` run in a fresh interpreter, where no guard was installed, on the model set's decoder."""
    script = ("import sys, json, torch\n"
              "from autograder.models import load_pair\n"
              "tokenizer, model = load_pair('decoder')\n"
              "inputs = tokenizer(sys.argv[1], return_tensors='pt')\n"
              "out = model.generate(**inputs, max_new_tokens=int(sys.argv[2]), do_sample=False,\n"
              "                     output_scores=True, return_dict_in_generate=True,\n"
              "                     pad_token_id=tokenizer.eos_token_id)\n"
              "print(json.dumps([out.sequences[0].tolist(), torch.stack(out.scores)[:, 0].tolist()]))\n")
    done = subprocess.run([sys.executable, "-c", script, prompt, str(max_new_tokens)], capture_output=True,
                          text=True, check=True)
    ids, scores = json.loads(done.stdout)
    return ids, torch.tensor(scores)
