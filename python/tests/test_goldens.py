"""The golden outputs of transformers 5.17 (tests/fixtures/goldens) through the Python API, with
the C++ tests' tolerances: every NLI model for zero-shot, the other tasks as the build has them."""

import numpy as np
import pytest

import lmpipe
from conftest import assert_close, expected, model_dir, pipeline_or_skip

# (model, the model whose expected.json holds its outputs), as tests/zero_shot_test.cpp.
NLI_MODELS = [
    ("tiny-bart-mnli", "tiny-bart-mnli"),
    ("tiny-bart-mnli-sharded", "tiny-bart-mnli"),
    ("tiny-roberta-mnli", "tiny-roberta-mnli"),
    ("tiny-xlm-roberta-xnli", "tiny-xlm-roberta-xnli"),
    ("tiny-distilbert-mnli", "tiny-distilbert-mnli"),
    ("tiny-deberta-v3-nli", "tiny-deberta-v3-nli"),
]


@pytest.mark.parametrize("model,expected_from", NLI_MODELS)
def test_zero_shot_matches_transformers(model, expected_from):
    classifier = lmpipe.pipeline("zero-shot-classification", model=model_dir(model))
    cases = expected(expected_from)["public"]
    assert cases
    for case in cases:
        # Called as a transformers user would: classifier(sequences=..., candidate_labels=..., ...).
        got = classifier(**case["input"])
        assert_close(got, case["output"], f"{model}: {str(case['input'])[:80]}", atol=1e-5, rtol=0)


@pytest.mark.parametrize("model,expected_from", NLI_MODELS[:1] + NLI_MODELS[-1:])
def test_zero_shot_positional_labels(model, expected_from):
    """classifier(sequences, candidate_labels) as on the Hub's model cards."""
    classifier = lmpipe.pipeline("zero-shot-classification", model=model_dir(model))
    for case in expected(expected_from)["public"]:
        kwargs = dict(case["input"])
        got = classifier(kwargs.pop("sequences"), kwargs.pop("candidate_labels"), **kwargs)
        assert_close(got, case["output"], model, atol=1e-5, rtol=0)


def test_fill_mask():
    unmasker = pipeline_or_skip("fill-mask", model_dir("tiny-bert"))
    golden = expected("tiny-bert")
    for case in golden["fill_mask"]["public"]:
        kwargs = {k: v for k, v in case.items() if k not in ("input", "output")}
        assert_close(unmasker(case["input"], **kwargs), case["output"], "fill-mask")
    case = golden["fill_mask_targets"]
    assert_close(unmasker(case["input"], targets=case["targets"]), case["output"], "fill-mask targets")


def test_feature_extraction():
    extractor = pipeline_or_skip("feature-extraction", model_dir("tiny-bert"))
    case = expected("tiny-bert")["feature_extraction_pipeline"]
    got = extractor(case["input"])
    np.testing.assert_allclose(np.asarray(got, dtype=np.float64), np.asarray(case["output"]), atol=1e-4, rtol=1e-3)


def test_sentence_embeddings():
    model = pipeline_or_skip("sentence-embeddings", model_dir("tiny-sentence-bert"))
    for case in expected("tiny-sentence-bert")["public"]:
        got = model(case["text"])
        np.testing.assert_allclose(np.asarray(got, dtype=np.float64), np.asarray(case["embedding"]), atol=1e-4, rtol=1e-3)


def test_text_generation():
    generator = pipeline_or_skip("text-generation", model_dir("tiny-gpt2-bf16"))
    case = expected("tiny-gpt2-bf16")["pipeline"]
    assert generator(case["prompt"], **case["kwargs"]) == case["output"]


def test_summarization_ids():
    summarizer = pipeline_or_skip("summarization", model_dir("tiny-bart-cnn"))
    for case in expected("tiny-bart-cnn")["greedy"]:
        got = summarizer(case["input"], return_tensors=True, num_beams=1, do_sample=False, max_new_tokens=10,
                         min_length=0, no_repeat_ngram_size=0, length_penalty=1.0)
        assert got == [{"summary_token_ids": case["output_ids"]}]


def test_text2text_generation_ids():
    for model in ("tiny-t5", "tiny-flan-t5"):
        generator = pipeline_or_skip("text2text-generation", model_dir(model))
        for case in expected(model)["greedy"]["public"]:
            got = generator(case["input"], return_tensors=True, do_sample=False, num_beams=1, max_new_tokens=10)
            assert got == [{"generated_token_ids": case["output_ids"]}], f"{model}: {case['input']}"
