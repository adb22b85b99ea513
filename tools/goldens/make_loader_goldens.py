"""Checkpoint layouts of real Hub repositories that the model goldens do not have, made by PyTorch
from two tiny models in tests/fixtures/goldens/models, with the outputs transformers 5.17 computes
from them (fp32, CPU):

    OUT=/some/dir python3 tools/goldens/make_loader_goldens.py [MODELS_DIR]

Writes OUT/models/<name>/ (config.json, the weights, expected.json; tokenizer files are the source
model's and are not copied):
  tiny-xlm-roberta-xnli-fp16     model.safetensors in float16 (as many Hub uploads are); expected:
                                 zero-shot outputs and pair logits computed from the fp16 values in fp32
  tiny-deberta-v3-nli-bin-sharded  pytorch_model-0000N-of-0000M.bin shards + pytorch_model.bin.index.json
                                 (the pre-safetensors sharded layout); expected: the same outputs
"""
import json
import os
import shutil
import sys

import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer, pipeline

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "tests", "fixtures", "goldens", "models")
OUT = os.environ.get("OUT", "/tmp/lmpipe_loader_goldens")
torch.set_num_threads(1)

CASES = [("Get a free iPhone now!", ["spam", "not spam"], "This email is {}."),
         ("Istanbul is a great city to visit.", ["travel", "cooking", "dancing"], "This example is {}.")]
PAIRS = [("Get a free iPhone now!", "This email is spam."), ("I have been there.", "This example is travel.")]


def outputs(model, tok):
    zs = pipeline("zero-shot-classification", model=model, tokenizer=tok, device=-1)
    res = {"zero_shot": [{"sequence": s, "candidate_labels": l, "hypothesis_template": t,
                          "output": zs(s, candidate_labels=l, hypothesis_template=t)} for s, l, t in CASES]}
    enc = tok([a for a, _ in PAIRS], [b for _, b in PAIRS], padding=True, return_tensors="pt")
    with torch.no_grad():
        logits = model(**enc).logits
    res["pair_logits"] = {"pairs": PAIRS, "input_ids": enc["input_ids"].tolist(),
                          "attention_mask": enc["attention_mask"].tolist(), "logits": logits.tolist()}
    return res


def dump(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=1)


def fp16_repo():
    src = os.path.join(MODELS, "tiny-xlm-roberta-xnli")
    d = os.path.join(OUT, "models", "tiny-xlm-roberta-xnli-fp16")
    model = AutoModelForSequenceClassification.from_pretrained(src, dtype=torch.float32).eval()
    model.half().save_pretrained(d)
    back = AutoModelForSequenceClassification.from_pretrained(d, dtype=torch.float32).eval()
    dump(os.path.join(d, "expected.json"), outputs(back, AutoTokenizer.from_pretrained(src)))


def sharded_bin_repo():
    src = os.path.join(MODELS, "tiny-deberta-v3-nli")
    d = os.path.join(OUT, "models", "tiny-deberta-v3-nli-bin-sharded")
    os.makedirs(d, exist_ok=True)
    model = AutoModelForSequenceClassification.from_pretrained(src, dtype=torch.float32).eval()
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    names = list(state)
    shards = [names[: len(names) // 2], names[len(names) // 2:]]
    weight_map, total = {}, 0
    for i, part in enumerate(shards):
        fname = f"pytorch_model-{i + 1:05d}-of-{len(shards):05d}.bin"
        torch.save({k: state[k] for k in part}, os.path.join(d, fname))
        for k in part:
            weight_map[k] = fname
            total += state[k].numel() * state[k].element_size()
    dump(os.path.join(d, "pytorch_model.bin.index.json"), {"metadata": {"total_size": total}, "weight_map": weight_map})
    shutil.copy(os.path.join(src, "config.json"), d)
    back = AutoModelForSequenceClassification.from_pretrained(d, dtype=torch.float32).eval()
    dump(os.path.join(d, "expected.json"), outputs(back, AutoTokenizer.from_pretrained(src)))


for fn in (fp16_repo, sharded_bin_repo):
    try:
        fn()
        print("OK", fn.__name__, flush=True)
    except Exception as e:
        import traceback
        traceback.print_exc()
        print("FAIL", fn.__name__, e, flush=True)
