#include "io/safetensors.h"

#include <algorithm>
#include <cstring>

#include "util/error.h"
#include "util/json.h"
#include "util/mapped_file.h"

namespace lmpipe {

namespace {

DType parse_dtype(const std::string& s, const std::string& where) {
  static const std::map<std::string, DType> kinds = {
      {"F64", DType::F64}, {"F32", DType::F32}, {"F16", DType::F16}, {"BF16", DType::BF16},
      {"I64", DType::I64}, {"I32", DType::I32}, {"I16", DType::I16}, {"I8", DType::I8},
      {"U8", DType::U8},   {"BOOL", DType::BOOL}};
  auto it = kinds.find(s);
  if (it == kinds.end()) throw Error(where + ": unknown dtype '" + s + "'");
  return it->second;
}

}  // namespace

void read_safetensors(const std::filesystem::path& file, Checkpoint& out) {
  auto mapped = MappedFile::open(file);
  const std::string where = file.string();
  if (mapped->size() < 8) throw Error(where + ": too small to be a safetensors file");
  uint64_t header_size = 0;
  std::memcpy(&header_size, mapped->data(), 8);
  if (header_size > mapped->size() - 8)
    throw Error(where + ": header size " + std::to_string(header_size) + " overruns the file (" +
                std::to_string(mapped->size()) + " bytes)");
  json header;
  try {
    header = parse_json(std::string_view(reinterpret_cast<const char*>(mapped->data() + 8), header_size));
  } catch (const json::parse_error& e) {
    throw Error(where + ": invalid JSON header: " + e.what());
  }
  if (!header.is_object()) throw Error(where + ": header is not a JSON object");

  const uint8_t* base = mapped->data() + 8 + header_size;
  const uint64_t data_size = mapped->size() - 8 - header_size;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (auto& [name, entry] : header.items()) {
    if (name == "__metadata__") continue;
    const std::string at = where + ": tensor '" + name + "'";
    if (!entry.is_object()) throw Error(at + ": entry is not an object");
    TensorInfo info;
    info.dtype = parse_dtype(json_get<std::string>(entry, "dtype", at), at);
    info.shape = json_get<Shape>(entry, "shape", at);
    auto offsets = json_get<std::vector<uint64_t>>(entry, "data_offsets", at);
    if (offsets.size() != 2 || offsets[0] > offsets[1] || offsets[1] > data_size)
      throw Error(at + ": data_offsets out of range (data section has " + std::to_string(data_size) + " bytes)");
    uint64_t expected = dtype_size(info.dtype);
    for (int64_t d : info.shape) {
      if (d < 0) throw Error(at + ": negative dimension in shape " + shape_to_string(info.shape));
      if (__builtin_mul_overflow(expected, static_cast<uint64_t>(d), &expected))
        throw Error(at + ": shape " + shape_to_string(info.shape) + " is too large");
    }
    if (offsets[1] - offsets[0] != expected)
      throw Error(at + ": data_offsets span " + std::to_string(offsets[1] - offsets[0]) + " bytes but shape " +
                  shape_to_string(info.shape) + " of " + dtype_name(info.dtype) + " needs " + std::to_string(expected));
    info.data = base + offsets[0];
    info.nbytes = offsets[1] - offsets[0];
    info.file = where;
    info.owner = mapped;
    if (info.nbytes > 0) ranges.emplace_back(offsets[0], offsets[1]);
    out.add(name, std::move(info));
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i)
    if (ranges[i].first < ranges[i - 1].second) throw Error(where + ": tensors have overlapping data_offsets");
}

}  // namespace lmpipe
