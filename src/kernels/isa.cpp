// CPU feature detection and the LMPIPE_ISA override.
#include "kernels/isa.h"

#include <atomic>
#include <cstdlib>
#include <string>

#include "util/error.h"

namespace lmpipe::kernels {

bool cpu_supports(CpuIsa isa) {
  __builtin_cpu_init();  // needed if the first kernel call comes from a static initializer
  switch (isa) {
    case CpuIsa::scalar: return true;
    case CpuIsa::avx2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case CpuIsa::avx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("fma");
  }
  return false;
}

std::string_view cpu_isa_name(CpuIsa isa) {
  switch (isa) {
    case CpuIsa::scalar: return "scalar";
    case CpuIsa::avx2: return "avx2";
    case CpuIsa::avx512: return "avx512";
  }
  return "?";
}

CpuIsa parse_cpu_isa(std::string_view name) {
  for (CpuIsa isa : {CpuIsa::scalar, CpuIsa::avx2, CpuIsa::avx512})
    if (name == cpu_isa_name(isa)) return isa;
  throw Error("LMPIPE_ISA: unknown instruction set '" + std::string(name) + "' (expected scalar, avx2 or avx512)");
}

namespace {
CpuIsa detect() {
  CpuIsa best = cpu_supports(CpuIsa::avx512) ? CpuIsa::avx512 : cpu_supports(CpuIsa::avx2) ? CpuIsa::avx2 : CpuIsa::scalar;
  const char* env = std::getenv("LMPIPE_ISA");
  if (!env || !*env) return best;
  CpuIsa wanted = parse_cpu_isa(env);
  if (!cpu_supports(wanted))
    throw Error("LMPIPE_ISA=" + std::string(env) + ": this CPU does not support that instruction set");
  return wanted;
}
std::atomic<int>& current() {
  static std::atomic<int> isa{static_cast<int>(detect())};
  return isa;
}
}  // namespace

CpuIsa get_cpu_isa() { return static_cast<CpuIsa>(current().load(std::memory_order_relaxed)); }

bool cpu_has_avx512_bf16() { return get_cpu_isa() == CpuIsa::avx512 && __builtin_cpu_supports("avx512bf16"); }
bool cpu_has_avx512_vnni() { return get_cpu_isa() == CpuIsa::avx512 && __builtin_cpu_supports("avx512vnni"); }

void set_cpu_isa(CpuIsa isa) {
  if (!cpu_supports(isa)) throw Error("set_cpu_isa: this CPU does not support " + std::string(cpu_isa_name(isa)));
  current().store(static_cast<int>(isa), std::memory_order_relaxed);
}

}  // namespace lmpipe::kernels
