#include "io/checkpoint.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "io/safetensors.h"
#include "io/sharded.h"
#include "io/torch_bin.h"
#include "util/error.h"

namespace lmpipe {

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::F64: return "F64";
    case DType::F32: return "F32";
    case DType::F16: return "F16";
    case DType::BF16: return "BF16";
    case DType::I64: return "I64";
    case DType::I32: return "I32";
    case DType::I16: return "I16";
    case DType::I8: return "I8";
    case DType::U8: return "U8";
    case DType::BOOL: return "BOOL";
  }
  return "?";
}

size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::F64: case DType::I64: return 8;
    case DType::F32: case DType::I32: return 4;
    case DType::F16: case DType::BF16: case DType::I16: return 2;
    case DType::I8: case DType::U8: case DType::BOOL: return 1;
  }
  return 0;
}

namespace {

float bf16_to_f32(uint16_t h) {
  uint32_t bits = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

float f16_to_f32(uint16_t h) {
  uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ffu, bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: renormalize
      exp = 127 - 15 + 1;
      while ((mant & 0x400u) == 0) { mant <<= 1; --exp; }
      bits = sign | (exp << 23) | ((mant & 0x3ffu) << 13);
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

}  // namespace

Checkpoint Checkpoint::open_safetensors(const std::filesystem::path& file) {
  Checkpoint ckpt;
  ckpt.source_ = file.string();
  read_safetensors(file, ckpt);
  ckpt.rename_legacy_keys();
  return ckpt;
}

Checkpoint Checkpoint::open_torch_bin(const std::filesystem::path& file) {
  Checkpoint ckpt;
  ckpt.source_ = file.string();
  read_torch_bin(file, ckpt);
  ckpt.rename_legacy_keys();
  return ckpt;
}

Checkpoint Checkpoint::open(const std::filesystem::path& model_dir) {
  if (!std::filesystem::is_directory(model_dir)) throw Error(model_dir.string() + ": not a model directory");
  // transformers' order: safetensors first, then PyTorch pickles; a single file before an index.
  struct Format {
    const char* file;
    void (*read)(const std::filesystem::path&, Checkpoint&);
    bool sharded;
  };
  static const Format formats[] = {{"model.safetensors", read_safetensors, false},
                                   {"model.safetensors.index.json", read_safetensors, true},
                                   {"pytorch_model.bin", read_torch_bin, false},
                                   {"pytorch_model.bin.index.json", read_torch_bin, true}};
  std::string looked_for;
  for (const Format& format : formats) {
    const auto path = model_dir / format.file;
    looked_for += (looked_for.empty() ? "" : ", ") + std::string(format.file);
    if (!std::filesystem::exists(path)) continue;
    Checkpoint ckpt;
    ckpt.source_ = model_dir.string();
    if (format.sharded) read_sharded(path, format.read, ckpt);
    else format.read(path, ckpt);
    ckpt.rename_legacy_keys();
    return ckpt;
  }
  std::string unsupported;
  for (const char* other : {"tf_model.h5", "flax_model.msgpack", "model.ckpt.index"})
    if (std::filesystem::exists(model_dir / other)) unsupported += std::string("; found ") + other + ", a format lmpipe does not read";
  throw Error(model_dir.string() + ": no model weights found (looked for " + looked_for + ")" + unsupported);
}

void Checkpoint::add(const std::string& name, TensorInfo info) {
  auto it = tensors_.find(name);
  if (it != tensors_.end())
    throw Error(info.file + ": tensor '" + name + "' appears twice" +
                (it->second.file == info.file ? std::string() : " (also in " + it->second.file + ")"));
  tensors_.emplace(name, std::move(info));
}

void Checkpoint::rename_legacy_keys() {
  static const std::pair<std::string, std::string> renames[] = {{"LayerNorm.gamma", "LayerNorm.weight"},
                                                                {"LayerNorm.beta", "LayerNorm.bias"}};
  std::map<std::string, TensorInfo> renamed;
  for (auto& [name, info] : tensors_) {
    std::string key = name;
    for (const auto& [from, to] : renames)
      for (size_t at = key.find(from); at != std::string::npos; at = key.find(from, at + to.size()))
        key.replace(at, from.size(), to);
    if (renamed.count(key) != 0)
      throw Error(info.file + ": two tensors load as '" + key + "' (a legacy LayerNorm.gamma/beta name next to its modern one)");
    renamed.emplace(key, std::move(info));
  }
  tensors_ = std::move(renamed);
}

bool Checkpoint::has_prefix(const std::string& prefix) const {
  auto it = tensors_.lower_bound(prefix);
  return it != tensors_.end() && it->first.compare(0, prefix.size(), prefix) == 0;
}

const TensorInfo& Checkpoint::info(const std::string& name) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) throw Error(source_ + ": missing tensor '" + name + "'");
  return it->second;
}

std::vector<std::string> Checkpoint::names() const {
  std::vector<std::string> out;
  out.reserve(tensors_.size());
  for (auto& [name, _] : tensors_) out.push_back(name);
  return out;
}

Tensor Checkpoint::load(const std::string& name) const {
  const TensorInfo& t = info(name);
  const int64_t n = shape_numel(t.shape);
  switch (t.dtype) {
    case DType::F32:
      if (reinterpret_cast<uintptr_t>(t.data) % alignof(float) == 0)
        return Tensor::view(reinterpret_cast<const float*>(t.data), t.shape, t.owner);
      break;
    case DType::BF16: case DType::F16: break;
    default:
      throw Error(t.file + ": tensor '" + name + "' has dtype " + dtype_name(t.dtype) + ", expected a float type");
  }
  Tensor out = Tensor::empty(t.shape);
  float* dst = out.data();
  for (int64_t i = 0; i < n; ++i) {
    if (t.dtype == DType::F32) {
      std::memcpy(dst + i, t.data + 4 * i, 4);
    } else {
      uint16_t h;
      std::memcpy(&h, t.data + 2 * i, 2);
      dst[i] = t.dtype == DType::BF16 ? bf16_to_f32(h) : f16_to_f32(h);
    }
  }
  return out;
}

Tensor Checkpoint::load(const std::string& name, const Shape& expected) const {
  Tensor t = load(name);
  if (t.shape() != expected)
    throw Error(info(name).file + ": tensor '" + name + "' has shape " + shape_to_string(t.shape()) +
                ", expected " + shape_to_string(expected));
  return t;
}

namespace {

// True when [begin, end) lies in one read-only, file-backed mapping of this process
// (/proc/self/maps: "start-end perms offset dev inode path").
bool in_read_only_file_mapping(uintptr_t begin, uintptr_t end) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    std::istringstream fields(line);
    std::string range, perms, offset, dev;
    unsigned long long inode = 0;
    if (!(fields >> range >> perms >> offset >> dev >> inode)) continue;
    const size_t dash = range.find('-');
    const uintptr_t start = std::stoull(range.substr(0, dash), nullptr, 16);
    const uintptr_t stop = std::stoull(range.substr(dash + 1), nullptr, 16);
    if (begin >= start && begin < stop) return end <= stop && inode != 0 && perms.size() > 1 && perms[1] == '-';
  }
  return false;
}

}  // namespace

// MADV_DONTNEED on a read-only private file mapping (MappedFile) only drops clean pages that the
// kernel re-reads from the file on the next access, so the data never changes. On anonymous or
// written memory it would zero the pages: the tensors that are not a view of a mapping (F16/BF16
// conversions, strided copies) live in such memory, hence the check of /proc/self/maps first.
// Only whole pages inside the tensor are dropped, never a neighbour's bytes.
void Checkpoint::release(const std::string& name) const {
  const TensorInfo& t = info(name);
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(t.data) + page - 1) & ~(page - 1);
  const uintptr_t end = (reinterpret_cast<uintptr_t>(t.data) + t.nbytes) & ~(page - 1);
  if (end <= begin || !in_read_only_file_mapping(begin, end)) return;
  ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}

}  // namespace lmpipe
