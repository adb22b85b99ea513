// Placeholder until the family is ported: fails loudly, never pretends to work.
#include "models/families.h"
#include "util/error.h"

namespace lmpipe {

std::unique_ptr<SequenceClassifier> load_deberta_v2_classifier(const std::filesystem::path& dir, const json&) {
  throw Error(dir.string() + ": the deberta_v2 family is not implemented yet");
}

}  // namespace lmpipe
