#include "io/torch_bin.h"

#include <cstring>
#include <map>

#include "io/pickle.h"
#include "io/zip_reader.h"
#include "util/error.h"

namespace lmpipe {

namespace {

// The storage classes torch.save names in persistent ids, and their element types.
const std::map<std::string, DType>& storage_types() {
  static const std::map<std::string, DType> types = {
      {"torch.DoubleStorage", DType::F64}, {"torch.FloatStorage", DType::F32},
      {"torch.HalfStorage", DType::F16},   {"torch.BFloat16Storage", DType::BF16},
      {"torch.LongStorage", DType::I64},   {"torch.IntStorage", DType::I32},
      {"torch.ShortStorage", DType::I16},  {"torch.CharStorage", DType::I8},
      {"torch.ByteStorage", DType::U8},    {"torch.BoolStorage", DType::BOOL}};
  return types;
}

constexpr const char* kOrderedDict = "collections.OrderedDict";
constexpr const char* kRebuildTensor = "torch._utils._rebuild_tensor_v2";
constexpr const char* kRebuildParameter = "torch._utils._rebuild_parameter";
constexpr const char* kRebuildParameterWithState = "torch._utils._rebuild_parameter_with_state";

struct Storage {
  DType dtype;
  const uint8_t* data;
  uint64_t numel;
};

class TorchBinReader {
 public:
  explicit TorchBinReader(const std::filesystem::path& file) : where_(file.string()) {
    auto mapped = MappedFile::open(file);
    // Before PyTorch 1.6 torch.save wrote a bare pickle stream, which starts with PROTO.
    if (mapped->size() >= 2 && mapped->data()[0] == 0x80 && mapped->data()[1] <= 5)
      throw Error(where_ + ": legacy (pre-zip) torch.save format is not supported; re-save it with PyTorch >= 1.6 "
                           "or convert it to safetensors");
    zip_ = ZipArchive::open(mapped);
    find_archive_prefix();
  }

  void read_into(Checkpoint& out) {
    const ZipArchive::Entry* pkl = zip_.find(prefix_ + "data.pkl");
    UnpicklerHooks hooks;
    hooks.allow_global = [](const std::string& g) {
      return g == kOrderedDict || g == kRebuildTensor || g == kRebuildParameter || g == kRebuildParameterWithState ||
             storage_types().count(g) != 0;
    };
    hooks.persistent_load = [this](const PyRef& pid) { return persistent_load(pid); };
    hooks.reduce = [this](const std::string& g, const PyRef& args) { return reduce(g, args); };
    hooks.build = [this](const PyRef& obj, const PyRef&) {
      // An OrderedDict's attributes (state_dict()._metadata) do not matter for inference.
      if (obj->kind != PyValue::Kind::Dict) fail(std::string("data.pkl: BUILD on a ") + obj->kind_name());
    };
    PyRef root = unpickle(std::string_view(reinterpret_cast<const char*>(pkl->data), pkl->size), hooks,
                          where_ + ": " + prefix_ + "data.pkl");
    if (root->kind != PyValue::Kind::Dict)
      fail(std::string("data.pkl holds a ") + root->kind_name() + ", not a state dict");
    for (const auto& [key, value] : root->entries) {
      if (key->kind != PyValue::Kind::Str) fail(std::string("state dict has a ") + key->kind_name() + " key");
      if (value->kind != PyValue::Kind::Native || value->s != "tensor")
        fail("state dict entry '" + key->s + "' is a " + value->kind_name() + ", not a tensor");
      out.add(key->s, *std::static_pointer_cast<const TensorInfo>(value->native));
    }
  }

 private:
  std::string where_;
  ZipArchive zip_;
  std::string prefix_;  // "<archive>/"
  std::map<std::string, std::shared_ptr<const Storage>> storages_;

  [[noreturn]] void fail(const std::string& message) const { throw Error(where_ + ": " + message); }

  // torch.save names the archive's single top folder after the file ("pytorch_model/").
  void find_archive_prefix() {
    for (const auto& [name, _] : zip_.entries()) {
      const size_t slash = name.find('/');
      if (slash == std::string::npos || name.compare(slash + 1, std::string::npos, "data.pkl") != 0) continue;
      if (!prefix_.empty()) fail("archive has more than one data.pkl");
      prefix_ = name.substr(0, slash + 1);
    }
    if (prefix_.empty()) fail("zip archive has no <archive>/data.pkl: not a PyTorch checkpoint");
    if (const auto* order = zip_.find(prefix_ + "byteorder")) {
      std::string value(reinterpret_cast<const char*>(order->data), order->size);
      if (value != "little") fail("byteorder is '" + value + "'; only little-endian checkpoints are supported");
    }
  }

  int64_t as_int(const PyRef& v, const std::string& what) const {
    if (v->kind != PyValue::Kind::Int) fail(what + " is a " + v->kind_name() + ", expected an int");
    return v->i;
  }
  Shape as_ints(const PyRef& v, const std::string& what) const {
    if (v->kind != PyValue::Kind::Tuple) fail(what + " is a " + std::string(v->kind_name()) + ", expected a tuple");
    Shape out;
    for (const auto& item : v->items) {
      out.push_back(as_int(item, what));
      if (out.back() < 0) fail(what + " has a negative entry");
    }
    return out;
  }

  // ('storage', <storage class>, key, location, numel) -> the storage in data/<key>.
  PyRef persistent_load(const PyRef& pid) {
    const auto& t = pid->items;
    if (pid->kind != PyValue::Kind::Tuple || t.size() != 5 || t[0]->kind != PyValue::Kind::Str || t[0]->s != "storage" ||
        t[1]->kind != PyValue::Kind::Global || t[2]->kind != PyValue::Kind::Str)
      fail("data.pkl: unsupported persistent id (expected a ('storage', type, key, location, numel) tuple)");
    auto type = storage_types().find(t[1]->s);
    if (type == storage_types().end()) fail("data.pkl: '" + t[1]->s + "' is not a storage type");
    const std::string& key = t[2]->s;
    const int64_t numel = as_int(t[4], "storage '" + key + "' size");
    auto& storage = storages_[key];
    if (!storage) {
      const ZipArchive::Entry* entry = zip_.find(prefix_ + "data/" + key);
      if (entry == nullptr) fail("storage '" + key + "' (" + prefix_ + "data/" + key + ") is missing from the archive");
      const uint64_t esize = dtype_size(type->second);
      if (numel < 0 || static_cast<uint64_t>(numel) > entry->size / esize)
        fail("storage '" + key + "' holds " + std::to_string(entry->size) + " bytes, too few for " +
             std::to_string(numel) + " " + dtype_name(type->second) + " elements (truncated?)");
      storage = std::make_shared<Storage>(Storage{type->second, entry->data, static_cast<uint64_t>(numel)});
    } else if (storage->dtype != type->second) {
      fail("storage '" + key + "' is referenced with two element types");
    }
    PyRef v = PyValue::make(PyValue::Kind::Native);
    v->s = "storage";
    v->native = storage;
    return v;
  }

  PyRef reduce(const std::string& global, const PyRef& args) {
    const auto& a = args->items;
    if (global == kOrderedDict) {
      if (!a.empty()) fail("data.pkl: OrderedDict called with arguments");
      return PyValue::make(PyValue::Kind::Dict);
    }
    if (global == kRebuildParameter || global == kRebuildParameterWithState) {
      if (a.empty() || a[0]->kind != PyValue::Kind::Native || a[0]->s != "tensor")
        fail("data.pkl: " + global + " without a tensor");
      return a[0];
    }
    if (global == kRebuildTensor) {
      // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
      if (a.size() < 4 || a[0]->kind != PyValue::Kind::Native || a[0]->s != "storage")
        fail("data.pkl: malformed " + global + " call");
      PyRef v = PyValue::make(PyValue::Kind::Native);
      v->s = "tensor";
      v->native = std::make_shared<const TensorInfo>(
          rebuild_tensor(*std::static_pointer_cast<const Storage>(a[0]->native), as_int(a[1], "storage offset"),
                         as_ints(a[2], "tensor size"), as_ints(a[3], "tensor stride")));
      return v;
    }
    fail("data.pkl: calls '" + global + "', which is not a supported constructor");
  }

  TensorInfo rebuild_tensor(const Storage& storage, int64_t offset, const Shape& size, const Shape& stride) const {
    if (size.size() != stride.size()) fail("data.pkl: tensor size and stride have different ranks");
    if (offset < 0) fail("data.pkl: negative storage offset");
    const size_t esize = dtype_size(storage.dtype);
    TensorInfo info;
    info.dtype = storage.dtype;
    info.shape = size;
    info.file = where_;
    // Highest element index the view touches, with overflow checks against hostile values.
    uint64_t numel = 1, last = static_cast<uint64_t>(offset);
    bool empty = false;
    for (size_t d = 0; d < size.size(); ++d) {
      if (size[d] == 0) empty = true;
      uint64_t reach = 0;
      if (__builtin_mul_overflow(numel, static_cast<uint64_t>(size[d]), &numel) ||
          (size[d] > 0 && (__builtin_mul_overflow(static_cast<uint64_t>(size[d] - 1), static_cast<uint64_t>(stride[d]), &reach) ||
                           __builtin_add_overflow(last, reach, &last))))
        fail("data.pkl: tensor size/stride overflow");
    }
    if (empty) {
      info.owner = zip_.file();
      info.data = storage.data;
      return info;
    }
    if (last >= storage.numel)
      fail("data.pkl: tensor of shape " + shape_to_string(size) + " reaches element " + std::to_string(last) +
           " of a storage with " + std::to_string(storage.numel));
    info.nbytes = numel * esize;
    const uint8_t* base = storage.data + static_cast<uint64_t>(offset) * esize;
    if (is_contiguous(size, stride)) {
      info.data = base;
      info.owner = zip_.file();
      return info;
    }
    // A strided view (e.g. a saved slice): copy it out in row-major order.
    auto buffer = std::make_shared<std::vector<uint8_t>>(info.nbytes);
    std::vector<int64_t> index(size.size(), 0);
    uint8_t* dst = buffer->data();
    for (uint64_t n = 0; n < numel; ++n, dst += esize) {
      uint64_t at = 0;
      for (size_t d = 0; d < size.size(); ++d) at += static_cast<uint64_t>(index[d] * stride[d]);
      std::memcpy(dst, base + at * esize, esize);
      for (size_t d = size.size(); d-- > 0;) {
        if (++index[d] < size[d]) break;
        index[d] = 0;
      }
    }
    info.data = buffer->data();
    info.owner = buffer;
    return info;
  }

  static bool is_contiguous(const Shape& size, const Shape& stride) {
    int64_t expected = 1;
    for (size_t d = size.size(); d-- > 0;) {
      if (size[d] != 1 && stride[d] != expected) return false;
      expected *= size[d];
    }
    return true;
  }
};

}  // namespace

void read_torch_bin(const std::filesystem::path& file, Checkpoint& out) { TorchBinReader(file).read_into(out); }

}  // namespace lmpipe
