// The mission in five lines: classify an email as spam or not, as transformers' pipeline does.
// Usage: example_classify_text MODEL_DIR_OR_HUB_ID "Get a free iPhone now!"
#include <iostream>

#include "lmpipe/zero_shot.h"

int main(int argc, char** argv) try {
  if (argc < 3) return std::cerr << "usage: " << argv[0] << " MODEL TEXT\n", 2;
  auto classifier = lmpipe::pipeline("zero-shot-classification", argv[1]);
  lmpipe::json kwargs = {{"candidate_labels", {"spam", "not spam"}}, {"hypothesis_template", "This email is {}."}};
  std::cout << (*classifier)(argv[2], kwargs).dump(2) << "\n";
} catch (const std::exception& e) {
  std::cerr << "error: " << e.what() << "\n";
  return 1;
}
