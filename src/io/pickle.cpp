#include "io/pickle.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <unordered_map>

#include "util/error.h"

namespace lmpipe {

PyRef PyValue::make(Kind kind) {
  auto v = std::make_shared<PyValue>();
  v->kind = kind;
  return v;
}

const char* PyValue::kind_name() const {
  switch (kind) {
    case Kind::None: return "None";
    case Kind::Bool: return "bool";
    case Kind::Int: return "int";
    case Kind::Float: return "float";
    case Kind::Str: return "str";
    case Kind::Bytes: return "bytes";
    case Kind::Tuple: return "tuple";
    case Kind::List: return "list";
    case Kind::Dict: return "dict";
    case Kind::Global: return "global";
    case Kind::Native: return "object";
  }
  return "?";
}

namespace {

// Deeper nesting than any state dict needs; bounds recursion when values are destroyed.
constexpr int kMaxDepth = 200;

class Unpickler {
 public:
  Unpickler(std::string_view data, const UnpicklerHooks& hooks, const std::string& where)
      : data_(data), hooks_(hooks), where_(where) {}

  PyRef run() {
    while (pos_ < data_.size()) {
      op_pos_ = pos_;
      const uint8_t op = u8();
      if (op == '.') return pop();  // STOP
      step(op);
    }
    fail("truncated pickle (no STOP opcode)");
  }

 private:
  std::string_view data_;
  const UnpicklerHooks& hooks_;
  const std::string& where_;
  size_t pos_ = 0, op_pos_ = 0;
  std::vector<PyRef> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, PyRef> memo_;

  [[noreturn]] void fail(const std::string& message) const {
    throw Error(where_ + ": " + message + " (pickle byte " + std::to_string(op_pos_) + ")");
  }

  const uint8_t* take(uint64_t n) {
    if (data_.size() - pos_ < n) fail("truncated pickle");
    const auto* p = reinterpret_cast<const uint8_t*>(data_.data() + pos_);
    pos_ += n;
    return p;
  }
  uint64_t le(int bytes) {
    const uint8_t* p = take(bytes);
    uint64_t v = 0;
    for (int k = bytes - 1; k >= 0; --k) v = (v << 8) | p[k];
    return v;
  }
  uint8_t u8() { return static_cast<uint8_t>(le(1)); }
  std::string text(uint64_t n) {
    const uint8_t* p = take(n);
    return std::string(reinterpret_cast<const char*>(p), n);
  }
  std::string line() {
    size_t end = data_.find('\n', pos_);
    if (end == std::string_view::npos) fail("truncated pickle (unterminated GLOBAL)");
    std::string s(data_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return s;
  }

  void push(PyRef v) { stack_.push_back(std::move(v)); }
  PyRef pop() {
    if (stack_.empty() || (!marks_.empty() && marks_.back() == stack_.size())) fail("pickle stack underflow");
    PyRef v = std::move(stack_.back());
    stack_.pop_back();
    return v;
  }
  PyRef& top() {
    if (stack_.empty() || (!marks_.empty() && marks_.back() == stack_.size())) fail("pickle stack underflow");
    return stack_.back();
  }
  std::vector<PyRef> pop_mark() {
    if (marks_.empty()) fail("missing MARK");
    std::vector<PyRef> items(stack_.begin() + static_cast<std::ptrdiff_t>(marks_.back()), stack_.end());
    stack_.resize(marks_.back());
    marks_.pop_back();
    return items;
  }

  PyRef scalar(PyValue::Kind kind, int64_t i) {
    PyRef v = PyValue::make(kind);
    v->i = i;
    return v;
  }
  PyRef string(PyValue::Kind kind, uint64_t n) {
    PyRef v = PyValue::make(kind);
    v->s = text(n);
    return v;
  }

  // `child` goes inside `parent`: track depth, freeze the child (see PyValue::contained).
  void adopt(PyValue& parent, const PyRef& child) {
    parent.depth = std::max(parent.depth, child->depth + 1);
    if (parent.depth > kMaxDepth) fail("values nested too deeply");
    child->contained = true;
  }
  PyRef& mutable_container(PyValue::Kind kind, const char* opname) {
    PyRef& c = top();
    if (c->kind != kind) fail(std::string(opname) + " on a " + c->kind_name());
    if (c->contained) fail(std::string(opname) + " on a value already nested in another (recursive structures are not supported)");
    return c;
  }
  PyRef tuple(std::vector<PyRef> items) {
    PyRef t = PyValue::make(PyValue::Kind::Tuple);
    for (auto& item : items) adopt(*t, item);
    t->items = std::move(items);
    return t;
  }
  void append(std::vector<PyRef> items, const char* opname) {
    PyRef& list = mutable_container(PyValue::Kind::List, opname);
    for (auto& item : items) {
      adopt(*list, item);
      list->items.push_back(std::move(item));
    }
  }
  void set_items(std::vector<PyRef> kv, const char* opname) {
    if (kv.size() % 2 != 0) fail(std::string(opname) + " with an odd number of items");
    PyRef& dict = mutable_container(PyValue::Kind::Dict, opname);
    for (size_t k = 0; k < kv.size(); k += 2) {
      adopt(*dict, kv[k]);
      adopt(*dict, kv[k + 1]);
      dict->entries.emplace_back(std::move(kv[k]), std::move(kv[k + 1]));
    }
  }
  void global(const std::string& module, const std::string& name) {
    const std::string full = module + "." + name;
    if (!hooks_.allow_global || !hooks_.allow_global(full)) fail("refuses to load global '" + full + "' (not on the allow-list)");
    PyRef g = PyValue::make(PyValue::Kind::Global);
    g->s = full;
    push(g);
  }
  void memo_put(uint64_t index) { memo_[index] = top(); }
  void memo_get(uint64_t index) {
    auto it = memo_.find(index);
    if (it == memo_.end()) fail("memo key " + std::to_string(index) + " was never stored");
    push(it->second);
  }

  void step(uint8_t op) {
    using K = PyValue::Kind;
    switch (op) {
      case 0x80: {  // PROTO
        const uint8_t version = u8();
        if (version > 5) fail("unsupported pickle protocol " + std::to_string(version));
        break;
      }
      case 0x95: le(8); break;  // FRAME: framing is only a hint for buffered readers
      case '(': marks_.push_back(stack_.size()); break;  // MARK
      case '0':  // POP (of a value, or of an empty mark)
        if (!marks_.empty() && marks_.back() == stack_.size()) marks_.pop_back();
        else pop();
        break;
      case '1': pop_mark(); break;  // POP_MARK
      case '2': push(top()); break;  // DUP
      case 'N': push(PyValue::make(K::None)); break;
      case 0x88: push(scalar(K::Bool, 1)); break;  // NEWTRUE
      case 0x89: push(scalar(K::Bool, 0)); break;  // NEWFALSE
      case 'J': push(scalar(K::Int, static_cast<int32_t>(le(4)))); break;  // BININT
      case 'K': push(scalar(K::Int, u8())); break;  // BININT1
      case 'M': push(scalar(K::Int, static_cast<int64_t>(le(2)))); break;  // BININT2
      case 0x8a: case 0x8b: {  // LONG1, LONG4: little-endian two's complement
        const uint64_t n = op == 0x8a ? u8() : le(4);
        if (n > 8) fail("integer too large");
        uint64_t v = n == 0 ? 0 : le(static_cast<int>(n));
        if (n > 0 && n < 8 && (v >> (8 * n - 1)) & 1) v |= ~uint64_t{0} << (8 * n);  // sign-extend
        push(scalar(K::Int, static_cast<int64_t>(v)));
        break;
      }
      case 'G': {  // BINFLOAT: big-endian IEEE double
        const uint8_t* p = take(8);
        uint64_t bits = 0;
        for (int k = 0; k < 8; ++k) bits = (bits << 8) | p[k];
        PyRef v = PyValue::make(K::Float);
        std::memcpy(&v->f, &bits, 8);
        push(v);
        break;
      }
      case 'X': push(string(K::Str, le(4))); break;  // BINUNICODE
      case 0x8c: push(string(K::Str, u8())); break;  // SHORT_BINUNICODE
      case 0x8d: push(string(K::Str, le(8))); break;  // BINUNICODE8
      case 'B': push(string(K::Bytes, le(4))); break;  // BINBYTES
      case 'C': push(string(K::Bytes, u8())); break;  // SHORT_BINBYTES
      case 0x8e: push(string(K::Bytes, le(8))); break;  // BINBYTES8
      case ')': push(PyValue::make(K::Tuple)); break;  // EMPTY_TUPLE
      case 't': push(tuple(pop_mark())); break;  // TUPLE
      case 0x85: case 0x86: case 0x87: {  // TUPLE1..3
        std::vector<PyRef> items(op - 0x84);
        for (size_t k = items.size(); k-- > 0;) items[k] = pop();
        push(tuple(std::move(items)));
        break;
      }
      case ']': push(PyValue::make(K::List)); break;  // EMPTY_LIST
      case 'l': {  // LIST
        std::vector<PyRef> items = pop_mark();
        push(PyValue::make(K::List));
        append(std::move(items), "LIST");
        break;
      }
      case 'a': { PyRef v = pop(); append({v}, "APPEND"); break; }
      case 'e': append(pop_mark(), "APPENDS"); break;
      case '}': push(PyValue::make(K::Dict)); break;  // EMPTY_DICT
      case 'd': {  // DICT
        std::vector<PyRef> kv = pop_mark();
        push(PyValue::make(K::Dict));
        set_items(std::move(kv), "DICT");
        break;
      }
      case 's': {  // SETITEM
        PyRef value = pop(), key = pop();
        set_items({key, value}, "SETITEM");
        break;
      }
      case 'u': set_items(pop_mark(), "SETITEMS"); break;
      case 'c': {  // GLOBAL "module\nname\n"
        std::string module = line();
        global(module, line());
        break;
      }
      case 0x93: {  // STACK_GLOBAL
        PyRef name = pop(), module = pop();
        if (name->kind != K::Str || module->kind != K::Str) fail("STACK_GLOBAL needs two strings");
        global(module->s, name->s);
        break;
      }
      case 'Q':  // BINPERSID
        if (!hooks_.persistent_load) fail("persistent ids are not supported here");
        push(hooks_.persistent_load(pop()));
        break;
      case 'R': {  // REDUCE: callable(*args)
        PyRef args = pop(), callable = pop();
        if (callable->kind != K::Global) fail(std::string("REDUCE calls a ") + callable->kind_name());
        if (args->kind != K::Tuple) fail("REDUCE arguments are not a tuple");
        if (!hooks_.reduce) fail("REDUCE is not supported here");
        push(hooks_.reduce(callable->s, args));
        break;
      }
      case 'b': {  // BUILD
        PyRef state = pop();
        if (!hooks_.build) fail("BUILD is not supported here");
        hooks_.build(top(), state);
        break;
      }
      case 'q': memo_put(u8()); break;  // BINPUT
      case 'r': memo_put(le(4)); break;  // LONG_BINPUT
      case 0x94: memo_put(memo_.size()); break;  // MEMOIZE
      case 'h': memo_get(u8()); break;  // BINGET
      case 'j': memo_get(le(4)); break;  // LONG_BINGET
      default: {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", op);
        fail(std::string("unsupported or unsafe pickle opcode ") + hex);
      }
    }
  }
};

}  // namespace

PyRef unpickle(std::string_view data, const UnpicklerHooks& hooks, const std::string& where) {
  return Unpickler(data, hooks, where).run();
}

}  // namespace lmpipe
