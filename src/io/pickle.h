#pragma once
// A restricted unpickler: it builds plain values (None, bool, int, float, str, bytes, tuple,
// list, dict) and never runs code. Globals are only names; whether one may be referenced and
// what calling it (REDUCE), persistent ids (BINPERSID) and BUILD mean are left to the caller's
// hooks, which see an allow-list's worth of names. Mirrors CPython's Lib/pickle.py opcodes
// for protocols 2-5, the ones torch.save writes.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lmpipe {

struct PyValue;
using PyRef = std::shared_ptr<PyValue>;

struct PyValue {
  enum class Kind { None, Bool, Int, Float, Str, Bytes, Tuple, List, Dict, Global, Native };
  Kind kind = Kind::None;
  int64_t i = 0;                                 // Bool, Int
  double f = 0;                                  // Float
  std::string s;                                 // Str, Bytes, Global ("module.name"), Native type name
  std::vector<PyRef> items;                      // Tuple, List
  std::vector<std::pair<PyRef, PyRef>> entries;  // Dict, in insertion order
  std::shared_ptr<const void> native;            // Native: an object made by a hook
  int depth = 0;                                 // nesting depth, bounded against hostile input
  bool contained = false;                        // inside another container: frozen from then on

  static PyRef make(Kind kind);
  const char* kind_name() const;
};

struct UnpicklerHooks {
  // May the pickle reference this global ("module.name")?
  std::function<bool(const std::string& global)> allow_global;
  // BINPERSID: the persistent id -> the object it stands for.
  std::function<PyRef(const PyRef& pid)> persistent_load;
  // REDUCE: calls an allowed global with its argument tuple.
  std::function<PyRef(const std::string& global, const PyRef& args)> reduce;
  // BUILD: applies `state` to `obj` (e.g. an OrderedDict's attributes), or throws.
  std::function<void(const PyRef& obj, const PyRef& state)> build;
};

// Unpickles `data`; throws lmpipe::Error "<where>: ..." naming the opcode and offset at fault.
PyRef unpickle(std::string_view data, const UnpicklerHooks& hooks, const std::string& where);

}  // namespace lmpipe
