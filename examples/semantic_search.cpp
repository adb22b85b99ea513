// Semantic search in a few lines: embed a query and documents with a sentence-transformers model
// and rank the documents by cosine similarity, as SentenceTransformer.encode + util.cos_sim do.
// Usage: example_semantic_search MODEL_DIR "query" "document 1" "document 2" ...
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "lmpipe/sentence_embeddings.h"

int main(int argc, char** argv) try {
  if (argc < 4) return std::cerr << "usage: " << argv[0] << " MODEL_DIR QUERY DOCUMENT...\n", 2;
  const lmpipe::SentenceTransformer model{std::filesystem::path(argv[1])};
  const std::vector<float> query = model.encode(argv[2]);
  const std::vector<std::string> documents(argv + 3, argv + argc);
  const auto vectors = model.encode(documents);
  std::vector<std::pair<float, std::string>> ranked;
  for (size_t i = 0; i < documents.size(); ++i) ranked.emplace_back(lmpipe::cos_sim(query, vectors[i]), documents[i]);
  std::sort(ranked.rbegin(), ranked.rend());
  for (const auto& [score, document] : ranked) std::printf("%.4f  %s\n", score, document.c_str());
} catch (const std::exception& e) {
  std::cerr << "error: " << e.what() << "\n";
  return 1;
}
