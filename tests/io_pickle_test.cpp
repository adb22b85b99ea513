// The restricted unpickler on its own: values, memo, protocol-4 opcodes, and the limits that
// keep hostile pickles from running code or exhausting the stack.
#include <gtest/gtest.h>

#include "io/pickle.h"
#include "io_test_util.h"

using namespace lmpipe;
using namespace std::string_literals;  // literals with embedded NULs
using test::expect_error;

namespace {

UnpicklerHooks plain_hooks() {
  UnpicklerHooks hooks;
  hooks.allow_global = [](const std::string& g) { return g == "collections.OrderedDict"; };
  hooks.reduce = [](const std::string&, const PyRef&) { return PyValue::make(PyValue::Kind::Dict); };
  return hooks;
}

PyRef load(const std::string& bytes) { return unpickle(bytes, plain_hooks(), "test.pkl"); }

}  // namespace

TEST(IoPickle, Scalars) {
  // (-2 as BININT, 255 as BININT1, 65535 as BININT2, -129 and 2^40 as LONG1, 1.5, True, None, "hé")
  test::Pickle p;
  p.op('(').integer(-2).op('K').op('\xff').op('M').op('\xff').op('\xff');
  p.s += std::string("\x8a\x02\x7f\xff", 4);                      // LONG1 -129
  p.s += std::string("\x8a\x06\x00\x00\x00\x00\x00\x01", 8);      // LONG1 2^40
  p.s += std::string("G\x3f\xf8\x00\x00\x00\x00\x00\x00", 9);     // BINFLOAT 1.5 (big-endian)
  p.op('\x88').op('N').str("h\xc3\xa9").op('t').op('.');
  PyRef t = load(p.s);
  ASSERT_EQ(t->kind, PyValue::Kind::Tuple);
  ASSERT_EQ(t->items.size(), 9u);
  EXPECT_EQ(t->items[0]->i, -2);
  EXPECT_EQ(t->items[1]->i, 255);
  EXPECT_EQ(t->items[2]->i, 65535);
  EXPECT_EQ(t->items[3]->i, -129);
  EXPECT_EQ(t->items[4]->i, int64_t{1} << 40);
  EXPECT_EQ(t->items[5]->f, 1.5);
  EXPECT_EQ(t->items[6]->kind, PyValue::Kind::Bool);
  EXPECT_EQ(t->items[7]->kind, PyValue::Kind::None);
  EXPECT_EQ(t->items[8]->s, "h\xc3\xa9");
}

TEST(IoPickle, ContainersMemoAndProtocol4) {
  // Protocol 4 with FRAME, SHORT_BINUNICODE, MEMOIZE, STACK_GLOBAL; a dict {"a": [1, 1]} whose
  // second list item comes from the memo; then OrderedDict() through REDUCE.
  std::string s = "\x80\x04";
  s += std::string("\x95", 1) + test::le_bytes(0, 8);
  s += "(";                                        // MARK for the outer tuple
  s += "}";                                        // EMPTY_DICT
  s += std::string("\x8c\x01", 2) + "a";           // "a"
  s += "]";                                        // EMPTY_LIST
  s += "(K\x01\x94h\x00" "e"s;                   // MARK 1 MEMOIZE BINGET 0 APPENDS
  s += "s";                                        // SETITEM
  s += std::string("\x8c\x0b", 2) + "collections" + std::string("\x8c\x0b", 2) + "OrderedDict" + "\x93" ")R";
  s += "t.";
  PyRef t = load(s);
  ASSERT_EQ(t->items.size(), 2u);
  const PyRef& dict = t->items[0];
  ASSERT_EQ(dict->kind, PyValue::Kind::Dict);
  ASSERT_EQ(dict->entries.size(), 1u);
  EXPECT_EQ(dict->entries[0].first->s, "a");
  const PyRef& list = dict->entries[0].second;
  ASSERT_EQ(list->items.size(), 2u);
  EXPECT_EQ(list->items[1]->i, 1);
  EXPECT_EQ(t->items[1]->kind, PyValue::Kind::Dict);
}

TEST(IoPickle, RefusesCodeAndUnknownOpcodes) {
  expect_error([] { load("\x80\x02" "cbuiltins\neval\n."); }, {"test.pkl", "builtins.eval", "allow-list"});
  expect_error([] { load(std::string("\x80\x02\x8c\x08", 4) + "builtins" + std::string("\x8c\x04", 2) + "exec\x93."); },
               {"builtins.exec"});
  expect_error([] { load("\x80\x02" "(i__main__\nX\n."); }, {"test.pkl", "opcode 0x69"});  // INST
  expect_error([] { load("\x80\x02" "]\x81."); }, {"opcode 0x81"});                      // NEWOBJ
  expect_error([] { load("\x80\x09N."); }, {"protocol 9"});
}

TEST(IoPickle, MalformedStreams) {
  expect_error([] { load("\x80\x02N"); }, {"test.pkl", "no STOP"});
  expect_error([] { load("\x80\x02."); }, {"stack underflow"});
  expect_error([] { load("\x80\x02(."); }, {"stack underflow"});
  expect_error([] { load("\x80\x02t."); }, {"missing MARK"});
  expect_error([] { load("\x80\x02h\x05."); }, {"memo key 5"});
  expect_error([] { load("\x80\x02X\x00\x00\x00\x00"s); }, {"no STOP"});
  expect_error([] { load("\x80\x02X\xff\x00\x00\x00ab."); }, {"truncated"});
  expect_error([] { load("\x80\x02K\x01K\x02K\x03s."); }, {"SETITEM on a int"});
  expect_error([] { load("\x80\x02N\x85Q."); }, {"persistent ids are not supported"});
}

TEST(IoPickle, DeepNestingAndRecursionAreBounded) {
  std::string deep = "\x80\x02N";
  for (int k = 0; k < 100000; ++k) deep += "\x85";  // TUPLE1, nested 100000 deep
  deep += ".";
  expect_error([&] { load(deep); }, {"test.pkl", "nested too deeply"});
  // A list appended to after being placed in another one (how a cycle would be built).
  expect_error([] { load("\x80\x02]q\x00]h\x00" "ah\x00" "K\x01" "a."s); }, {"recursive structures"});
}
