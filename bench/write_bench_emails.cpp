// Writes the zero-shot benchmark's mixed-length emails (bench/mixed_length_emails.h), one per
// line, so benchmarks outside C++ (bench/python_bench.py) classify exactly the same texts.
//   write_bench_emails COUNT FILE
#include <cstdio>
#include <fstream>
#include <string>

#include "mixed_length_emails.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s COUNT FILE\n", argv[0]);
    return 2;
  }
  std::ofstream out(argv[2]);
  for (const auto& email : lmpipe::bench::mixed_length_emails(std::stoul(argv[1]))) out << email << '\n';
  out.close();
  if (!out) {
    std::fprintf(stderr, "%s: cannot write\n", argv[2]);
    return 1;
  }
  return 0;
}
