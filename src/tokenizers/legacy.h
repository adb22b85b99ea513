#pragma once
// Tokenizer directories without tokenizer.json: the legacy vocabulary files are converted into
// the tokenizer.json that `transformers` 5 builds from them (its TokenizersBackend classes and
// convert_slow_tokenizer.py), so the normal tokenizer.json loader serves both.
//   vocab.json + merges.txt   GPT2Tokenizer, RobertaTokenizer / BartTokenizer (byte-level BPE)
//   vocab.txt                 BertTokenizer, DistilBertTokenizer (WordPiece)
//   spiece.model              T5Tokenizer (Unigram)
//   spm.model                 DebertaV2Tokenizer (Unigram)
//   sentencepiece.bpe.model   XLMRobertaTokenizer (Unigram with the fairseq id offset)
// The converter is chosen from tokenizer_config.json's tokenizer_class, else config.json's
// model_type, else the files present.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "util/json.h"

namespace lmpipe::tok {

// The tokenizer.json equivalent of the legacy files in `dir`; std::nullopt when `dir` holds no
// legacy vocabulary files. Throws lmpipe::Error naming the file at fault when they are invalid
// or the tokenizer class is not supported.
std::optional<json> legacy_tokenizer_json(const std::filesystem::path& dir);

// The parts of a SentencePiece ModelProto (sentencepiece_model.proto) the converters need.
struct SpmModel {
  struct Piece {
    std::string piece;
    float score = 0;
    int type = 1;  // 1 normal, 2 unknown, 3 control, 4 user defined, 5 unused, 6 byte
  };
  std::vector<Piece> pieces;
  int model_type = 1;  // 1 unigram, 2 BPE, 3 word, 4 char
  int unk_id = 0;
  bool byte_fallback = false;
  std::string precompiled_charsmap;
  bool add_dummy_prefix = true;
  bool remove_extra_whitespaces = true;
};
// Parses the protobuf wire format; throws lmpipe::Error naming `path` when malformed.
SpmModel read_spm_model(const std::filesystem::path& path);

std::string base64_encode(std::string_view bytes);

}  // namespace lmpipe::tok
