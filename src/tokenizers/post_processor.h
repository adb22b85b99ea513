#pragma once
// Post-processors add the special tokens around the sequences and set type ids
// (HF tokenizers' `PostProcessor`): TemplateProcessing, RobertaProcessing, BertProcessing,
// ByteLevel (offset trimming), Sequence. Immutable after construction.
#include <memory>
#include <string>
#include <vector>

#include "lmpipe/tokenizer.h"
#include "util/json.h"

namespace lmpipe::tok {

class PostProcessor {
 public:
  virtual ~PostProcessor() = default;
  // Special tokens added to one sequence or a pair.
  virtual size_t added_tokens(bool is_pair) const = 0;
  // One or two encodings in (sequence ids set), the processed list out (HF's process_encodings).
  virtual std::vector<Encoding> process_encodings(std::vector<Encoding> encodings, bool add_special_tokens) const = 0;
};

// From the "post_processor" object of tokenizer.json (null gives nullptr).
std::unique_ptr<PostProcessor> post_processor_from_json(const json& j, const std::string& where);

// The whole step: sequence ids, process_encodings, merge (HF's PostProcessor::process; without a
// processor, the encodings are just concatenated).
Encoding post_process(const PostProcessor* p, Encoding a, Encoding* b, bool add_special_tokens);

// ByteLevel's offset trimming: offsets no longer cover the leading/trailing spaces of tokens.
void trim_byte_level_offsets(Encoding& e, bool add_prefix_space);

// A special token's encoding (offsets (0, 0), special mask 1, no sequence).
Encoding special_tokens_encoding(const std::vector<int32_t>& ids, const std::vector<std::string>& tokens, int32_t type_id);

std::unique_ptr<PostProcessor> make_template_processing(const json& j, const std::string& where);

}  // namespace lmpipe::tok
