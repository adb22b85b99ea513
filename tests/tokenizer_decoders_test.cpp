// Decoders (cases mirror HF tokenizers' decoder unit tests) and a round trip over the golden
// tokenizers: golden ids -> model tokens -> decoder == the golden decoded text.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "test_util.h"
#include "tokenizers/decoder.h"
#include "tokenizers/model.h"
#include "util/error.h"
#include "util/json.h"

namespace lmpipe::tok {
namespace {

using Tokens = std::vector<std::string>;

std::unique_ptr<Decoder> make(const std::string& text) { return decoder_from_json(json::parse(text), "decoder"); }

TEST(TokenizerDecoders, ByteLevel) {
  auto d = make(R"({"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true})");
  EXPECT_EQ(d->decode({"Hello", "\xC4\xA0world", "\xC4\x8A"}), "Hello world\n");
  EXPECT_EQ(d->decode({"caf", "\xC3\x83\xC2\xA9"}), "caf\xC3\xA9");  // "Ã©" -> bytes C3 A9 -> é
  EXPECT_EQ(d->decode({"\xC3\x83"}), "\xEF\xBF\xBD");              // a lone lead byte
  EXPECT_EQ(d->decode({"a", "\xE6\x97\xA5"}), "a\xE6\x97\xA5");     // 日 is not in the byte map: raw
}

TEST(TokenizerDecoders, Utf8Lossy) {
  EXPECT_EQ(utf8_lossy("ok"), "ok");
  EXPECT_EQ(utf8_lossy("\xF0\x9F\x98"), "\xEF\xBF\xBD");
  EXPECT_EQ(utf8_lossy("\xC3\x28"), "\xEF\xBF\xBD(");
  EXPECT_EQ(utf8_lossy("\xE0\x80\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(utf8_lossy("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(utf8_lossy("\xF4\x90\x80\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_TRUE(is_valid_utf8("\xE5\x8F\xAB"));
  EXPECT_FALSE(is_valid_utf8("\xE5\x8F"));
}

TEST(TokenizerDecoders, WordPiece) {
  auto d = make(R"({"type": "WordPiece", "prefix": "##", "cleanup": false})");
  EXPECT_EQ(d->decode({"##uelo", "Ara", "##\xC3\xBAj", "##o", "No", "##guera"}), "##uelo Ara\xC3\xBAjo Noguera");
  auto c = make(R"({"type": "WordPiece"})");
  EXPECT_EQ(c->decode({"hello", ",", "world", "!", "i", "do", "not", "know", "."}), "hello, world! i do not know.");
  EXPECT_EQ(c->decode_chain({"x", "do not"}), (Tokens{"x", " don't"}));
}

TEST(TokenizerDecoders, Metaspace) {
  auto always = make(R"({"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": true})");
  EXPECT_EQ(always->decode_chain({"\xE2\x96\x81Hey", "\xE2\x96\x81" "friend!"}), (Tokens{"Hey", " friend!"}));
  // Every replacement character of the first token is dropped, as in HF.
  EXPECT_EQ(always->decode({"\xE2\x96\x81" "a\xE2\x96\x81" "b", "\xE2\x96\x81" "c"}), "ab c");
  auto never = make(R"({"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "never"})");
  EXPECT_EQ(never->decode({"\xE2\x96\x81Hey", "\xE2\x96\x81" "friend!"}), " Hey friend!");
  auto legacy = make(R"({"type": "Metaspace", "replacement": "_", "add_prefix_space": false})");
  EXPECT_EQ(legacy->decode({"_a", "_b"}), " a b");
  EXPECT_THROW(make(R"({"type": "Metaspace", "replacement": "ab"})"), Error);
}

TEST(TokenizerDecoders, ReplaceByteFallbackFuseStripSequence) {
  auto r = make(R"({"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "})");
  EXPECT_EQ(r->decode_chain({"\xE2\x96\x81Hey", "\xE2\x96\x81" "friend"}), (Tokens{" Hey", " friend"}));
  auto bf = make(R"({"type": "ByteFallback"})");
  EXPECT_EQ(bf->decode_chain({"Hey", "friend!"}), (Tokens{"Hey", "friend!"}));
  EXPECT_EQ(bf->decode_chain({"<0x61>"}), (Tokens{"a"}));
  EXPECT_EQ(bf->decode_chain({"<0xE5>"}), (Tokens{"\xEF\xBF\xBD"}));
  EXPECT_EQ(bf->decode_chain({"<0xE5>", "<0x8f>"}), (Tokens{"\xEF\xBF\xBD", "\xEF\xBF\xBD"}));
  EXPECT_EQ(bf->decode_chain({"<0xE5>", "<0x8f>", "<0xab>"}), (Tokens{"\xE5\x8F\xAB"}));
  EXPECT_EQ(bf->decode_chain({"<0xE5>", "<0x8f>", "<0xab>", "a"}), (Tokens{"\xE5\x8F\xAB", "a"}));
  EXPECT_EQ(bf->decode_chain({"<0xE5>", "<0x8f>", "a"}), (Tokens{"\xEF\xBF\xBD", "\xEF\xBF\xBD", "a"}));
  EXPECT_EQ(bf->decode_chain({"<0xZZ>"}), (Tokens{"<0xZZ>"}));
  auto fuse = make(R"({"type": "Fuse"})");
  EXPECT_EQ(fuse->decode_chain({"Hey", " friend!"}), (Tokens{"Hey friend!"}));
  auto strip = make(R"({"type": "Strip", "content": "H", "start": 1, "stop": 0})");
  EXPECT_EQ(strip->decode_chain({"Hey", " friend!", "HHH"}), (Tokens{"ey", " friend!", "HH"}));
  auto strip_end = make(R"({"type": "Strip", "content": "y", "start": 0, "stop": 1})");
  EXPECT_EQ(strip_end->decode_chain({"Hey", " friend!"}), (Tokens{"He", " friend!"}));
  auto all = make(R"({"type": "Strip", "content": " ", "start": 2, "stop": 2})");
  EXPECT_EQ(all->decode_chain({" ", "   "}), (Tokens{"", ""}));
  // Llama-style chain.
  auto seq = make(R"({"type": "Sequence", "decoders": [
      {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "}, {"type": "ByteFallback"},
      {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]})");
  EXPECT_EQ(seq->decode({"\xE2\x96\x81Hey", "\xE2\x96\x81" "friend", "<0x21>"}), "Hey friend!");
}

TEST(TokenizerDecoders, BpeAndCtc) {
  auto bpe = make(R"({"type": "BPEDecoder", "suffix": "</w>"})");
  EXPECT_EQ(bpe->decode({"hel", "lo</w>", "world</w>"}), "hello world");
  EXPECT_TRUE(bpe->decode_chain({}).empty());
  auto ctc = make(R"({"type": "CTC", "pad_token": "<pad>", "word_delimiter_token": "|", "cleanup": true})");
  Tokens in;
  for (const char* t : {"<pad>", "<pad>", "h", "e", "e", "l", "l", "<pad>", "l", "o", "o", "o", "<pad>", "<pad>", "|", "<pad>", "w",
                        "o", "o", "o", "r", "<pad>", "<pad>", "l", "l", "d", "<pad>", "<pad>", "<pad>", "<pad>"})
    in.push_back(t);
  EXPECT_EQ(ctc->decode_chain(in), (Tokens{"h", "e", "l", "l", "o", " ", "w", "o", "r", "l", "d"}));
}

TEST(TokenizerDecoders, Errors) {
  EXPECT_THROW(make(R"({"type": "Nope"})"), Error);
  try {
    make(R"({"type": "Sequence", "decoders": [{"type": "Strip", "content": " "}]})");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("decoder.decoders[0]"), std::string::npos) << e.what();
  }
}

// ids without special tokens -> model tokens -> decoder gives the golden `decoded` text.
TEST(TokenizerDecoders, GoldenRoundTrip) {
  for (const char* name : {"gpt2", "bart", "bert-base-uncased", "t5", "deberta-v3", "xlm-roberta"}) {
    json tj = read_json_file(test::golden_tokenizer(name) / "tokenizer.json");
    auto model = model_from_json(tj.at("model"), name);
    auto decoder = decoder_from_json(tj.at("decoder"), std::string(name) + ": decoder");
    std::set<int64_t> special;
    for (const json& a : tj.at("added_tokens"))
      if (a.at("special").get<bool>()) special.insert(a.at("id").get<int64_t>());
    json golden = read_json_file(test::fixtures() / "goldens/tokenizers" / (std::string(name) + ".json"));
    int checked = 0;
    for (const json& row : golden.at("rows")) {
      Tokens tokens;
      for (const json& id : row.at("ids_no_special")) {
        if (special.count(id.get<int64_t>())) continue;
        tokens.push_back(model->id_to_token(id.get<uint32_t>()).value());
      }
      EXPECT_EQ(decoder->decode(tokens), row.at("decoded").get<std::string>()) << name << ": " << row.at("text");
      ++checked;
    }
    EXPECT_GT(checked, 10) << name;
  }
}

}  // namespace
}  // namespace lmpipe::tok
