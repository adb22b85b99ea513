"""Golden outputs for the autoencoding heads and sentence-transformers chains that the shared goldens
do not cover (issue 9). Tiny random models with real architectures and vocabularies, fp32, CPU.

Reuses the shared generator's tokenizers and helpers (shared/goldens/generator/make_goldens.py):
run it the same way, from the directory that holds shared/vocab, with transformers 5.x,
sentence-transformers, sentencepiece and torch:

    OUT=/some/dir GENERATOR=shared/goldens/generator python3 tools/goldens/make_autoencoding_goldens.py

Writes OUT/goldens/models/<name>/ (a Hub-style repo + expected.json) for:
  tiny-roberta-mlm        RobertaForMaskedLM (roberta-base vocab): fill_mask (several masks, <mask>),
                          fill_mask_targets (exact "Ġparis", bare "paris", " London", a multi-token
                          target), mlm_logits summary, feature_extraction_pipeline
  tiny-xlm-roberta-mlm    XLMRobertaForMaskedLM (the shared sentencepiece vocab): fill_mask, mlm_logits
  tiny-distilbert-mlm     DistilBertForMaskedLM: fill_mask, fill_mask_targets, batched fill_mask
                          (batch_size=2, padded), feature_extraction_pipeline (AutoModel on the MLM repo)
  tiny-deberta-v3-mlm     DebertaV2ForMaskedLM, legacy head (cls.predictions): fill_mask, mlm_logits
  tiny-deberta-v3-mlm-lm-predictions   the same with legacy=False (lm_predictions.lm_head)
  tiny-sentence-variants  sentence-transformers chains over tiny-bert's weights, one subfolder each:
                          all_pooling (six modes concatenated) + Dense(16->8, Tanh) + Normalize;
                          prompt_excluded (mean pooling, include_prompt=False, prompts, default_prompt_name);
                          roberta_lower (RoBERTa Transformer with do_lower_case and max_seq_length 8, CLS pooling)
Each expected.json lists its cases with inputs and outputs as the libraries return them.
"""
import importlib.util, os, sys

GENERATOR = os.environ.get("GENERATOR", os.path.join("shared", "goldens", "generator"))
sys.path.insert(0, GENERATOR)
spec = importlib.util.spec_from_file_location("make_goldens", os.path.join(GENERATOR, "make_goldens.py"))
mg = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mg)

import torch
from transformers import pipeline

G = mg.G

MASK_CASES = {
    "<mask>": ["The capital of France is <mask>.", "Hello <mask>!", "<mask> is the best <mask> in the world.",
               "I love<mask>", "  Spaces  around <mask>  "],
    "[MASK]": ["The capital of France is [MASK].", "Hello [MASK]!", "[MASK] is the best [MASK] in the world.",
               "Don't [MASK] at the sign."],
}
SENTS = ["Istanbul is a great city to visit.", "I have been there.", "Get a free iPhone now!",
         "이스탄불은 방문하기에 훌륭한 도시입니다.", "", "A much longer sentence that goes on and on to be truncated somewhere."]


def fill_mask_cases(model, tok, mask, targets=None):
    fm = pipeline("fill-mask", model=model, tokenizer=tok, device=-1)
    res = {"fill_mask": [{"input": x, "top_k": 3, "output": fm(x, top_k=3)} for x in MASK_CASES[mask]]}
    xs = MASK_CASES[mask][:2]
    res["fill_mask_batched"] = {"inputs": xs, "batch_size": 2, "output": fm(xs, top_k=2, batch_size=2)}
    if targets:
        res["fill_mask_targets"] = {"input": MASK_CASES[mask][0], "targets": targets,
                                    "output": fm(MASK_CASES[mask][0], targets=targets, top_k=10)}
    e = tok(MASK_CASES[mask][0], return_tensors="pt")
    with torch.no_grad():
        lg = model(**e).logits[0]
    res["mlm_logits"] = {"input_ids": e["input_ids"].tolist(),
                         "per_position": [mg.topk_summary(lg[i]) for i in range(lg.shape[0])]}
    return res


def feature_extraction_case(d):
    fe = pipeline("feature-extraction", model=d, device=-1)
    return {"feature_extraction_pipeline": {"input": SENTS[0], "output": fe(SENTS[0])}}


def model_roberta_mlm():
    from transformers import RobertaConfig, RobertaForMaskedLM
    mg.seed_all(21)
    tok = mg.TOK["roberta"]
    cfg = RobertaConfig(vocab_size=50265, hidden_size=16, num_hidden_layers=2, num_attention_heads=4,
                        intermediate_size=32, max_position_embeddings=130, type_vocab_size=1, pad_token_id=1,
                        initializer_range=0.2, architectures=["RobertaForMaskedLM"])
    model = RobertaForMaskedLM(cfg).eval()
    tok.model_max_length = 128
    d = os.path.join(G, "models", "tiny-roberta-mlm")
    mg.save_model(model, tok, d)
    res = fill_mask_cases(model, tok, "<mask>", targets=["Ġparis", "paris", " London", "zzzqqqxx"])
    res.update(feature_extraction_case(d))
    mg.dump(os.path.join(d, "expected.json"), res)


def model_xlmr_mlm():
    from transformers import XLMRobertaConfig, XLMRobertaForMaskedLM
    mg.seed_all(22)
    tok = mg.TOK["xlmr"]
    cfg = XLMRobertaConfig(vocab_size=len(tok), hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                           intermediate_size=64, max_position_embeddings=130, type_vocab_size=1, pad_token_id=1,
                           bos_token_id=0, eos_token_id=2, initializer_range=0.2,
                           architectures=["XLMRobertaForMaskedLM"])
    model = XLMRobertaForMaskedLM(cfg).eval()
    tok.model_max_length = 128
    d = os.path.join(G, "models", "tiny-xlm-roberta-mlm")
    mg.save_model(model, tok, d)
    mg.dump(os.path.join(d, "expected.json"), fill_mask_cases(model, tok, "<mask>"))


def model_distilbert_mlm():
    from transformers import DistilBertConfig, DistilBertForMaskedLM
    mg.seed_all(23)
    tok = mg.TOK["distilbert"]
    cfg = DistilBertConfig(vocab_size=30522, dim=16, n_layers=2, n_heads=4, hidden_dim=32, max_position_embeddings=128,
                           initializer_range=0.2, architectures=["DistilBertForMaskedLM"])
    model = DistilBertForMaskedLM(cfg).eval()
    tok.model_max_length = 128
    d = os.path.join(G, "models", "tiny-distilbert-mlm")
    mg.save_model(model, tok, d)
    res = fill_mask_cases(model, tok, "[MASK]", targets=["stop", "qwertyuiopish", "go"])
    res.update(feature_extraction_case(d))
    mg.dump(os.path.join(d, "expected.json"), res)


def model_deberta_mlm():
    from transformers import DebertaV2Config, DebertaV2ForMaskedLM
    tok = mg.TOK["deberta"]
    tok.model_max_length = 128
    for name, legacy in (("tiny-deberta-v3-mlm", True), ("tiny-deberta-v3-mlm-lm-predictions", False)):
        mg.seed_all(24)
        cfg = DebertaV2Config(vocab_size=len(tok), hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                              intermediate_size=64, max_position_embeddings=128, relative_attention=True,
                              position_buckets=16, max_relative_positions=-1, pos_att_type=["p2c", "c2p"],
                              norm_rel_ebd="layer_norm", share_att_key=True, position_biased_input=False,
                              type_vocab_size=0, pad_token_id=0, initializer_range=0.2, hidden_act="gelu",
                              legacy=legacy, architectures=["DebertaV2ForMaskedLM"])
        model = DebertaV2ForMaskedLM(cfg).eval()
        d = os.path.join(G, "models", name)
        mg.save_model(model, tok, d)
        mg.dump(os.path.join(d, "expected.json"), fill_mask_cases(model, tok, "[MASK]"))


ST_ROOT = os.path.join(G, "models", "tiny-sentence-variants")
ST_RES = {}


def st_encode(st, texts, **kw):
    return [{"text": x, "embedding": mg.tolist(e)} for x, e in zip(texts, st.encode(texts, convert_to_tensor=True, **kw))]


def st_all_pooling():
    from sentence_transformers import SentenceTransformer, models
    import torch.nn as nn
    torch.manual_seed(25)
    word = models.Transformer(os.path.join(G, "models", "tiny-bert"), max_seq_length=64)
    # All six modes concatenated, named by the long-standing boolean arguments.
    pool = models.Pooling(16, pooling_mode_cls_token=True, pooling_mode_max_tokens=True, pooling_mode_mean_tokens=True,
                          pooling_mode_mean_sqrt_len_tokens=True, pooling_mode_weightedmean_tokens=True,
                          pooling_mode_lasttoken=True)
    dense = models.Dense(96, 8, activation_function=nn.Tanh())
    st = SentenceTransformer(modules=[word, pool, dense, models.Normalize()], device="cpu")
    st.save(os.path.join(ST_ROOT, "all_pooling"))
    ST_RES["all_pooling"] = st_encode(st, SENTS)


def st_prompt_excluded():
    from sentence_transformers import SentenceTransformer, models
    word = models.Transformer(os.path.join(G, "models", "tiny-bert"), max_seq_length=64)
    pool = models.Pooling(16, pooling_mode_mean_tokens=True, include_prompt=False)
    st = SentenceTransformer(modules=[word, pool], device="cpu", prompts={"query": "query: ", "doc": ""},
                             default_prompt_name="query")
    st.save(os.path.join(ST_ROOT, "prompt_excluded"))
    ST_RES["prompt_excluded"] = {"default_prompt": st_encode(st, SENTS[:3]),
                                 "prompt_name_doc": st_encode(st, SENTS[:3], prompt_name="doc")}


def st_roberta_lower():
    from sentence_transformers import SentenceTransformer, models
    word = models.Transformer(os.path.join(G, "models", "tiny-roberta-mnli"), max_seq_length=8, do_lower_case=True)
    st = SentenceTransformer(modules=[word, models.Pooling(16, pooling_mode_cls_token=True, pooling_mode_mean_tokens=False)],
                             device="cpu")
    st.save(os.path.join(ST_ROOT, "roberta_lower"))
    ST_RES["roberta_lower"] = st_encode(st, SENTS)


def st_dump():
    import sentence_transformers
    ST_RES["sentence_transformers"] = sentence_transformers.__version__
    mg.dump(os.path.join(ST_ROOT, "expected.json"), ST_RES)


if __name__ == "__main__":
    mg.section(mg.env_info)
    for fn in (mg.tok_roberta, mg.tok_bert, mg.tok_distilbert, mg.tok_deberta, mg.tok_xlmr, mg.model_bert,
               mg.model_roberta_nli, model_roberta_mlm, model_xlmr_mlm, model_distilbert_mlm, model_deberta_mlm,
               st_all_pooling, st_prompt_excluded, st_roberta_lower, st_dump):
        mg.section(fn)
    mg.LOG.close()
