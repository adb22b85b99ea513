#pragma once
// The one seam where kernels choose an instruction set. Detected once from the CPU, overridable
// with LMPIPE_ISA=scalar|avx2|avx512 (never above what the CPU supports). Models never see this.
#include <string_view>

namespace lmpipe::kernels {

enum class CpuIsa { scalar, avx2, avx512 };

// The ISA the dispatched kernels use now.
CpuIsa get_cpu_isa();
// Whether this CPU can run kernels compiled for `isa`.
bool cpu_supports(CpuIsa isa);
// Switches the dispatched kernels (tests compare every ISA); throws Error if unsupported.
void set_cpu_isa(CpuIsa isa);
std::string_view cpu_isa_name(CpuIsa isa);
// The extensions PackedLinear's bf16 and int8 kernels need, on top of get_cpu_isa() == avx512
// (so LMPIPE_ISA=avx2 turns them off too).
bool cpu_has_avx512_bf16();
bool cpu_has_avx512_vnni();
// Parses "scalar", "avx2" or "avx512"; throws Error otherwise.
CpuIsa parse_cpu_isa(std::string_view name);

}  // namespace lmpipe::kernels
