"""Extra generation goldens for lmpipe (issue 10), on the tiny models already in
tests/fixtures/goldens/models (run with the same environment as shared/goldens/generator/make_goldens.py:
transformers 5.17, torch CPU, fp32).

    OUT=/some/dir python3 tools/goldens/make_generation_goldens.py [MODELS_DIR]

MODELS_DIR defaults to tests/fixtures/goldens/models next to this script's repository. Writes
OUT/generation_extra.json: for each case the model, the input ids, the generate() kwargs and the
returned sequences (all rows), plus sequences_scores for beam search. Cases cover what the main
goldens do not: early_stopping False / "never", num_return_sequences with beams, length_penalty,
min_new_tokens, bad_words_ids, suppress_tokens / begin_suppress_tokens, several eos ids,
left-padded GPT-2 batches (greedy and beam), and stop_strings. No sampling (torch's RNG cannot be
matched).
"""
import json
import os
import sys

import torch
from transformers import AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoTokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "tests", "fixtures", "goldens", "models")
OUT = os.environ.get("OUT", "/tmp/lmpipe_generation_goldens")
os.makedirs(OUT, exist_ok=True)
torch.set_num_threads(1)


def load(name):
    d = os.path.join(MODELS, name)
    tok = AutoTokenizer.from_pretrained(d)
    cls = AutoModelForSeq2SeqLM if name in ("tiny-bart-cnn", "tiny-t5", "tiny-flan-t5") else AutoModelForCausalLM
    return tok, cls.from_pretrained(d, dtype=torch.float32).eval()


def run(name, texts, kwargs, padding_side="right", pad_with_eos=False):
    tok, model = load(name)
    tok.padding_side = padding_side
    if pad_with_eos and tok.pad_token is None:
        tok.pad_token = tok.eos_token
    enc = tok(texts, return_tensors="pt", padding=len(texts) > 1)
    call = dict(kwargs)
    if "stop_strings" in call:
        call["tokenizer"] = tok
    with torch.no_grad():
        out = model.generate(**enc, return_dict_in_generate=True, output_scores=True, **call)
    case = {"model": name, "texts": texts, "kwargs": kwargs, "input_ids": enc["input_ids"].tolist(),
            "attention_mask": enc["attention_mask"].tolist(), "sequences": out.sequences.tolist()}
    if getattr(out, "sequences_scores", None) is not None:
        case["sequences_scores"] = out.sequences_scores.tolist()
    return case


PROMPT = "If you don't"
SUMM = "Istanbul is a great city to visit. I have been there. The food is excellent and the people are friendly."
T2T = "translate English to German: The house is wonderful."

cases = []
for early in (False, True, "never"):
    for lp in (1.0, 2.0, -1.0):
        cases.append(run("tiny-bart-cnn", [SUMM], {"num_beams": 4, "early_stopping": early, "length_penalty": lp,
                                                    "max_new_tokens": 12, "min_length": 0, "no_repeat_ngram_size": 0}))
        cases.append(run("tiny-gpt2-legacy", [PROMPT], {"num_beams": 3, "early_stopping": early, "length_penalty": lp,
                                                         "max_new_tokens": 8, "do_sample": False, "pad_token_id": 50256,
                                                         "eos_token_id": [50256, 31546, 16902]}))
cases.append(run("tiny-t5", [T2T], {"num_beams": 4, "num_return_sequences": 3, "max_new_tokens": 8}))
cases.append(run("tiny-flan-t5", [T2T], {"num_beams": 1, "min_new_tokens": 6, "max_new_tokens": 8, "eos_token_id": [1, 1868]}))
cases.append(run("tiny-gpt2-legacy", [PROMPT], {"do_sample": False, "max_new_tokens": 10, "pad_token_id": 50256,
                                               "bad_words_ids": [[16902], [29711, 2719]],
                                               "suppress_tokens": [860], "begin_suppress_tokens": [35970]}))
cases.append(run("tiny-gpt2-legacy", [PROMPT, "Hello", "The transformer architecture"],
                 {"do_sample": False, "max_new_tokens": 8}, padding_side="left", pad_with_eos=True))
cases.append(run("tiny-gpt2-legacy", [PROMPT, "Hello"], {"do_sample": False, "num_beams": 3, "max_new_tokens": 6},
                 padding_side="left", pad_with_eos=True))
cases.append(run("tiny-gpt2-legacy", [PROMPT], {"do_sample": False, "max_new_tokens": 12, "pad_token_id": 50256,
                                               "stop_strings": ["Dennis"]}))
cases.append(run("tiny-bart-cnn", [SUMM, "Short one."], {"num_beams": 2, "max_new_tokens": 10}))

with open(os.path.join(OUT, "generation_extra.json"), "w", encoding="utf-8") as f:
    json.dump({"transformers": __import__("transformers").__version__, "cases": cases}, f, ensure_ascii=False, indent=1)
print(os.path.join(OUT, "generation_extra.json"), len(cases), "cases")
