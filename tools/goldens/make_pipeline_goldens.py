"""Pipeline-level goldens for lmpipe on the tiny models already in tests/fixtures/goldens/models:
the options and edge cases a user reaches through transformers.pipeline() that the model goldens do
not cover (truncation of long inputs, one label, a comma-separated label string, duplicate
targets, return_full_text / return_tensors, beams returned, stop_sequence, feature-extraction
truncation) and sentence-transformers' encode options (batch_size, prompt, prompt_name,
normalize_embeddings, truncate_dim) as lmpipe's "sentence-embeddings" task.
transformers 5 has no summarization, translation or text2text-generation pipeline (pipeline()
raises KeyError for those tasks), so BART-cnn and T5 have model-level goldens only.
Same environment as the other generators (transformers 5.17, torch CPU, fp32):

    OUT=/some/dir python3 tools/goldens/make_pipeline_goldens.py [MODELS_DIR]

Writes OUT/pipeline_goldens.json: a list of cases {task, model, inputs, kwargs, output}; a case
whose call raises records {"error": <exception class>} instead of an output.
"""
import json
import os
import sys

import torch
from transformers import pipeline

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "tests", "fixtures", "goldens", "models")
OUT = os.environ.get("OUT", "/tmp/lmpipe_pipeline_goldens")
os.makedirs(OUT, exist_ok=True)
torch.set_num_threads(1)

LONG = " ".join(["The quarterly report shows revenue growth across every region, driven by strong demand."] * 30)
cases = []
pipes = {}


def case(task, model, inputs, kwargs=None, summarize=None):
    key = (task, model)
    kwargs = kwargs or {}
    entry = {"task": task, "model": model, "inputs": inputs, "kwargs": kwargs}
    try:
        if key not in pipes:
            pipes[key] = pipeline(task, model=os.path.join(MODELS, model), device=-1)
        with torch.no_grad():
            out = pipes[key](inputs, **kwargs)
        entry["output"] = summarize(out) if summarize else out
    except Exception as e:  # the reference refusing an input is a golden too
        entry["error"] = type(e).__name__
        entry["message"] = str(e)[:300]
    cases.append(entry)
    print(task, model, "error" if "error" in entry else "ok", flush=True)


for model in ("tiny-bart-mnli", "tiny-roberta-mnli", "tiny-deberta-v3-nli", "tiny-distilbert-mnli"):
    zs = "zero-shot-classification"
    case(zs, model, LONG, {"candidate_labels": ["finance", "sports"]})
    case(zs, model, "Get a free iPhone now!", {"candidate_labels": ["spam"]})
    case(zs, model, "Get a free iPhone now!", {"candidate_labels": ["spam"], "multi_label": False})
    case(zs, model, "Get a free iPhone now!", {"candidate_labels": "spam, not spam,ads",
                                               "hypothesis_template": "In short: {}!"})
    case(zs, model, ["Short one.", LONG], {"candidate_labels": ["a", "b", "c"], "multi_label": True})

fm = "fill-mask"
case(fm, "tiny-bert", "[MASK] is a great city to visit.", {"top_k": 3})
case(fm, "tiny-bert", "Istanbul is a great [MASK] to visit.", {"targets": ["city", "city", "place"], "top_k": 10})
case(fm, "tiny-bert", "Istanbul is a great [MASK] to visit.", {"targets": "city", "top_k": 2})
case(fm, "tiny-bert", ["A [MASK] b.", "C [MASK] [MASK] d."], {"top_k": 2})

fe = "feature-extraction"
first_last = lambda out: {"tokens": len(out[0]), "first": out[0][0], "last": out[0][-1]}
case(fe, "tiny-bert", LONG, {"truncation": True}, first_last)
case(fe, "tiny-bert", "Hello world, this is a test.", {"tokenize_kwargs": {"truncation": True, "max_length": 5}}, first_last)
case(fe, "tiny-bert", "Hello world", {"tokenize_kwargs": {"add_special_tokens": False}}, first_last)

tg = "text-generation"
case(tg, "tiny-gpt2-legacy", "If you don't", {"max_new_tokens": 6, "do_sample": False, "return_full_text": False})
case(tg, "tiny-gpt2-legacy", "If you don't", {"max_new_tokens": 6, "do_sample": False, "return_tensors": True})
case(tg, "tiny-gpt2-legacy", ["Hello", "The transformer architecture"], {"max_new_tokens": 4, "do_sample": False})
case(tg, "tiny-gpt2-legacy", "Hello", {"max_new_tokens": 5, "num_beams": 3, "num_return_sequences": 2, "do_sample": False})

case(tg, "tiny-gpt2-legacy", "If you don't", {"max_new_tokens": 6, "do_sample": False, "repetition_penalty": 1.5})
case(tg, "tiny-gpt2-legacy", "If you don't", {"min_new_tokens": 3, "max_new_tokens": 4, "do_sample": False})
case(tg, "tiny-gpt2-legacy", "If you don't", {"max_new_tokens": 10, "do_sample": False, "stop_sequence": " Dennis"})
case(tg, "tiny-gpt2-legacy", "If you don't", {"max_new_tokens": 6, "do_sample": False, "no_repeat_ngram_size": 1,
                                              "return_full_text": False})
case("zero-shot-classification", "tiny-bart-mnli", "Get a free iPhone now!", {"candidate_labels": ["spam", "spam", "ham"]})
case(fm, "tiny-bert", "Hello [MASK] " + " ".join(["word"] * 200),
     {"top_k": 2, "tokenizer_kwargs": {"truncation": True, "max_length": 8}})

case("zero-shot-classification", "tiny-xlm-roberta-xnli", ["Москва — столица России.", LONG],
     {"candidate_labels": ["geography", "finance", "sports", "music", "cooking", "travel", "science", "art", "law",
                           "health"]})
case(fm, "tiny-deberta-v3-mlm", "The capital of France is [MASK].", {"top_k": 4})
case(fm, "tiny-roberta-mlm", "The capital of France is <mask>.", {"targets": [" Paris", " London", "Berlin"]})
case(fe, "tiny-roberta-mlm", "Hello world, this is a test.", {}, first_last)
case(fe, "tiny-xlm-roberta-mlm", "이스탄불은 방문하기에 훌륭한 도시입니다.", {}, first_last)
case(tg, "tiny-gpt2-bf16", ["Hello", "2017년 google brain 팀은"], {"max_new_tokens": 5, "do_sample": False,
                                                                  "return_full_text": False})

# sentence-transformers' encode options, as the "sentence-embeddings" task of lmpipe's pipeline().
def st_case(model, inputs, kwargs):
    from sentence_transformers import SentenceTransformer
    st = SentenceTransformer(os.path.join(MODELS, model), device="cpu")
    entry = {"task": "sentence-embeddings", "model": model, "inputs": inputs, "kwargs": kwargs}
    with torch.no_grad():
        entry["output"] = st.encode(inputs, convert_to_numpy=True, **kwargs).tolist()
    cases.append(entry)
    print("sentence-embeddings", model, "ok", flush=True)


ST_TEXTS = ["Istanbul is a great city to visit.", "", LONG, "Get a free iPhone now!"]
st_case("tiny-sentence-bert", ST_TEXTS, {"batch_size": 2})
st_case("tiny-sentence-bert", ST_TEXTS, {"normalize_embeddings": True, "truncate_dim": 5})
st_case("tiny-sentence-bert", ST_TEXTS[:2], {"prompt": "query: "})
st_case("tiny-sentence-variants/prompt_excluded", ST_TEXTS, {"prompt_name": "query", "batch_size": 3})
st_case("tiny-sentence-variants/all_pooling", ST_TEXTS, {"truncate_dim": 4})

with open(os.path.join(OUT, "pipeline_goldens.json"), "w", encoding="utf-8") as f:
    json.dump({"transformers": __import__("transformers").__version__, "cases": cases}, f, ensure_ascii=False, indent=1,
              default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o))
print(os.path.join(OUT, "pipeline_goldens.json"), len(cases), "cases")
