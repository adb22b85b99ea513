// Port of CPython 3.12 str.format for str arguments: Objects/stringlib/unicode_format.h
// (MarkupIterator_next, parse_field, field_name_split, FieldNameIterator_next, output_markup) and
// Python/formatter_unicode.c (parse_internal_render_format_spec, format_string_internal).
// Works on code points, as Python's str does: widths, precision and [index] count characters.
#include "pipelines/py_format.h"

#include <utf8proc.h>

#include <cstdio>
#include <limits>

#include "tokenizers/unicode.h"
#include "util/error.h"

namespace lmpipe {

namespace {

using Text = std::u32string;

constexpr size_t kMaxWidth = 1'000'000;

[[noreturn]] void raise(const std::string& python_exception, const std::string& message) {
  throw Error(python_exception + ": " + message);
}

Text decode(std::string_view s, const char* what) {
  if (size_t bad = tok::find_invalid_utf8(s); bad != std::string_view::npos)
    throw Error(std::string(what) + " is not valid UTF-8 (byte " + std::to_string(bad) + ")");
  Text out;
  for (size_t i = 0, len = 0; i < s.size(); i += len) out += tok::decode_utf8(s, i, len);
  return out;
}

std::string encode(const Text& t) {
  std::string out;
  for (char32_t c : t) tok::append_utf8(out, c);
  return out;
}

std::string hex(unsigned value, int digits) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%0*x", digits, value);
  return buf;
}

// A character as CPython's messages print it: itself when printable ASCII, else \x.. escaped.
std::string quoted_char(char32_t c) {
  return c > 32 && c < 127 ? std::string(1, static_cast<char>(c)) : "\\x" + hex(c, 1);
}

// Py_UNICODE_TODECIMAL: the digit value of a decimal digit (category Nd), else -1. Unicode
// keeps the decimal digits in contiguous runs of ten, 0 to 9.
int decimal_value(char32_t c) {
  if (c < 0x80) return c >= '0' && c <= '9' ? static_cast<int>(c - '0') : -1;
  auto is_digit = [](char32_t x) { return utf8proc_category(static_cast<utf8proc_int32_t>(x)) == UTF8PROC_CATEGORY_ND; };
  if (!is_digit(c)) return -1;
  char32_t start = c;
  while (start > 0 && is_digit(start - 1)) --start;
  return static_cast<int>((c - start) % 10);
}

// get_integer of unicode_format.h: the whole range must be digits; -1 when it is empty or not a
// number.
long long whole_integer(const Text& s, size_t begin, size_t end) {
  if (begin >= end) return -1;
  long long value = 0;
  for (size_t i = begin; i < end; ++i) {
    int digit = decimal_value(s[i]);
    if (digit < 0) return -1;
    if (value > (std::numeric_limits<long long>::max() - digit) / 10)
      raise("ValueError", "Too many decimal digits in format string");
    value = value * 10 + digit;
  }
  return value;
}

// get_integer of formatter_unicode.c: consumes leading digits; returns how many.
size_t leading_integer(const Text& s, size_t& pos, long long& value) {
  value = 0;
  size_t count = 0;
  for (; pos < s.size(); ++pos, ++count) {
    int digit = decimal_value(s[pos]);
    if (digit < 0) break;
    if (value > (std::numeric_limits<long long>::max() - digit) / 10)
      raise("ValueError", "Too many decimal digits in format string");
    value = value * 10 + digit;
  }
  return count;
}

// str.isprintable for one character: not Cc, Cf, Cs, Co, Cn, Zl, Zp, Zs, except the space.
bool is_printable(char32_t c) {
  if (c == ' ') return true;
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(c))) {
    case UTF8PROC_CATEGORY_CC: case UTF8PROC_CATEGORY_CF: case UTF8PROC_CATEGORY_CS: case UTF8PROC_CATEGORY_CO:
    case UTF8PROC_CATEGORY_CN: case UTF8PROC_CATEGORY_ZL: case UTF8PROC_CATEGORY_ZP: case UTF8PROC_CATEGORY_ZS:
      return false;
    default:
      return true;
  }
}

void append_ascii(Text& out, const std::string& s) { out.append(s.begin(), s.end()); }

void append_escape(Text& out, char32_t c) {
  append_ascii(out, c <= 0xff ? "\\x" + hex(c, 2) : c <= 0xffff ? "\\u" + hex(c, 4) : "\\U" + hex(c, 8));
}

// repr(str) (unicode_repr), and ascii(str): repr with every non-ASCII character escaped.
Text repr(const Text& s, bool ascii_only) {
  bool has_single = s.find(U'\'') != Text::npos, has_double = s.find(U'"') != Text::npos;
  char32_t quote = has_single && !has_double ? U'"' : U'\'';
  Text out(1, quote);
  for (char32_t c : s) {
    if (c == quote || c == U'\\') {
      out += U'\\';
      out += c;
    } else if (c == U'\t') {
      append_ascii(out, "\\t");
    } else if (c == U'\n') {
      append_ascii(out, "\\n");
    } else if (c == U'\r') {
      append_ascii(out, "\\r");
    } else if (c < U' ' || c == 0x7f) {
      append_escape(out, c);
    } else if (c < 0x7f || (!ascii_only && is_printable(c))) {
      out += c;
    } else {
      append_escape(out, c);
    }
  }
  out += quote;
  return out;
}

Text convert(const Text& value, char32_t conversion) {
  switch (conversion) {
    case U'r': return repr(value, false);
    case U's': return value;
    case U'a': return repr(value, true);
    default: raise("ValueError", "Unknown conversion specifier " + quoted_char(conversion));
  }
}

// str.__format__(spec): parse_internal_render_format_spec with default type 's' and default
// alignment '<', then format_string_internal.
Text format_str(const Text& value, const Text& spec) {
  if (spec.empty()) return value;
  auto is_align = [](char32_t c) { return c == U'<' || c == U'>' || c == U'=' || c == U'^'; };
  char32_t fill = U' ', align = U'<', sign = 0, type = U's', thousands = 0;
  bool no_neg_0 = false, alternate = false, fill_given = false;
  long long width = -1, precision = -1;
  size_t pos = 0, end = spec.size();
  if (end - pos >= 2 && is_align(spec[pos + 1])) {
    fill = spec[pos];
    align = spec[pos + 1];
    fill_given = true;
    pos += 2;
  } else if (end - pos >= 1 && is_align(spec[pos])) {
    align = spec[pos++];
  }
  if (pos < end && (spec[pos] == U' ' || spec[pos] == U'+' || spec[pos] == U'-')) sign = spec[pos++];
  if (pos < end && spec[pos] == U'z') no_neg_0 = true, ++pos;
  if (pos < end && spec[pos] == U'#') alternate = true, ++pos;
  // The '0' flag: zero fill (the '=' alignment it implies applies to numbers only).
  if (!fill_given && pos < end && spec[pos] == U'0') fill = U'0', ++pos;
  long long number;
  if (leading_integer(spec, pos, number) > 0) width = number;
  if (pos < end && spec[pos] == U',') thousands = U',', ++pos;
  if (pos < end && spec[pos] == U'_') {
    if (thousands) raise("ValueError", "Cannot specify both ',' and '_'.");
    thousands = U'_', ++pos;
  }
  if (pos < end && spec[pos] == U',' && thousands == U'_') raise("ValueError", "Cannot specify both ',' and '_'.");
  if (pos < end && spec[pos] == U'.') {
    ++pos;
    if (leading_integer(spec, pos, number) == 0) raise("ValueError", "Format specifier missing precision");
    precision = number;
  }
  if (end - pos > 1) raise("ValueError", "Invalid format specifier '" + encode(spec) + "' for object of type 'str'");
  if (end - pos == 1) type = spec[pos];
  if (thousands) {
    // Grouping is for numbers: of the presentation types, only 's' reaches here for a str that
    // gets past the type check below.
    static const Text numeric = U"deEfFgG%";
    if (type != 0 && numeric.find(type) == Text::npos && !(thousands == U'_' && Text(U"boxX").find(type) != Text::npos))
      raise("ValueError", std::string("Cannot specify '") + static_cast<char>(thousands) + "' with '" + quoted_char(type) + "'.");
  }
  if (type != U's') raise("ValueError", "Unknown format code '" + quoted_char(type) + "' for object of type 'str'");
  if (sign == U' ') raise("ValueError", "Space not allowed in string format specifier");
  if (sign) raise("ValueError", "Sign not allowed in string format specifier");
  if (no_neg_0) raise("ValueError", "Negative zero coercion (z) not allowed in string format specifier");
  if (alternate) raise("ValueError", "Alternate form (#) not allowed in string format specifier");
  if (align == U'=') raise("ValueError", "'=' alignment not allowed in string format specifier");
  if (width > static_cast<long long>(kMaxWidth))
    throw Error("format width " + std::to_string(width) + " is too large (lmpipe allows up to " +
                std::to_string(kMaxWidth) + " characters)");

  Text body = precision >= 0 && static_cast<size_t>(precision) < value.size() ? value.substr(0, precision) : value;
  size_t total = width > static_cast<long long>(body.size()) ? static_cast<size_t>(width) : body.size();
  size_t left = align == U'>' ? total - body.size() : align == U'^' ? (total - body.size()) / 2 : 0;
  size_t right = total - body.size() - left;
  return Text(left, fill) + body + Text(right, fill);
}

class Formatter {
 public:
  explicit Formatter(std::vector<Text> args) : args_(std::move(args)) {}

  // build_string: expands s[begin, end); depth counts down the nesting Python allows (2).
  Text build(const Text& s, size_t begin, size_t end, int depth) {
    if (depth <= 0) raise("ValueError", "Max string recursion exceeded");
    Text out;
    size_t pos = begin;
    while (pos < end) {
      // Literal text up to a brace; a doubled brace is literal.
      size_t literal = pos;
      char32_t c = 0;
      bool markup = false;
      while (pos < end) {
        c = s[pos++];
        if (c == U'{' || c == U'}') {
          markup = true;
          break;
        }
      }
      bool at_end = pos >= end;
      size_t length = pos - literal;
      if (markup && c == U'}' && (at_end || s[pos] != U'}'))
        raise("ValueError", "Single '}' encountered in format string");
      if (markup && c == U'{' && at_end) raise("ValueError", "Single '{' encountered in format string");
      if (markup) {
        if (s[pos] == c) {
          ++pos;
          markup = false;
        } else {
          --length;
        }
      }
      out.append(s, literal, length);
      if (markup) out += field(s, pos, end, depth);
    }
    return out;
  }

 private:
  // parse_field + output_markup for the field that starts at `pos` (after its '{').
  Text field(const Text& s, size_t& pos, size_t end, int depth) {
    size_t name_begin = pos;
    char32_t c = 0;
    while (pos < end) {
      c = s[pos++];
      if (c == U'{') raise("ValueError", "unexpected '{' in field name");
      if (c == U'[') {
        while (pos < end && s[pos] != U']') ++pos;
        continue;
      }
      if (c == U'}' || c == U':' || c == U'!') break;
    }
    size_t name_end = pos - 1;
    char32_t conversion = 0;
    size_t spec_begin = 0, spec_end = 0;
    bool nested_spec = false;
    if (c == U'!' || c == U':') {
      bool spec_follows = true;
      if (c == U'!') {
        if (pos >= end) raise("ValueError", "end of string while looking for conversion specifier");
        conversion = s[pos++];
        if (pos < end) {
          char32_t after = s[pos++];
          if (after == U'}') spec_follows = false;
          else if (after != U':') raise("ValueError", "expected ':' after conversion specifier");
        }
      }
      if (spec_follows) {
        spec_begin = pos;
        int count = 1;
        bool closed = false;
        while (pos < end && !closed) {
          char32_t x = s[pos++];
          if (x == U'{') {
            nested_spec = true;
            ++count;
          } else if (x == U'}' && --count == 0) {
            closed = true;
          }
        }
        if (!closed) raise("ValueError", "unmatched '{' in format spec");
        spec_end = pos - 1;
      }
    } else if (c != U'}') {
      raise("ValueError", "expected '}' before end of string");
    }

    Text value = lookup(s, name_begin, name_end);
    if (conversion) value = convert(value, conversion);
    Text spec = nested_spec ? build(s, spec_begin, spec_end, depth - 1) : s.substr(spec_begin, spec_end - spec_begin);
    return format_str(value, spec);
  }

  // get_field_object: the argument the field names, then its [index] lookups.
  Text lookup(const Text& s, size_t begin, size_t end) {
    size_t first_end = begin;
    while (first_end < end && s[first_end] != U'.' && s[first_end] != U'[') ++first_end;
    long long index = whole_integer(s, begin, first_end);
    const bool automatic = first_end == begin;
    if (automatic || index != -1) {
      if (numbering_ == Numbering::Unset) numbering_ = automatic ? Numbering::Automatic : Numbering::Manual;
      if (numbering_ == Numbering::Manual && automatic)
        raise("ValueError", "cannot switch from manual field specification to automatic field numbering");
      if (numbering_ == Numbering::Automatic && !automatic)
        raise("ValueError", "cannot switch from automatic field numbering to manual field specification");
      if (automatic) index = next_automatic_++;
    }
    if (index == -1) raise("KeyError", encode(repr(s.substr(begin, first_end - begin), false)));
    if (static_cast<size_t>(index) >= args_.size())
      raise("IndexError", "Replacement index " + std::to_string(index) + " out of range for positional args tuple");
    Text value = args_[static_cast<size_t>(index)];

    for (size_t pos = first_end; pos < end;) {
      char32_t kind = s[pos++];
      size_t name_begin = pos, name_end;
      if (kind == U'.') {
        while (pos < end && s[pos] != U'.' && s[pos] != U'[') ++pos;
        name_end = pos;
      } else if (kind == U'[') {
        while (pos < end && s[pos] != U']') ++pos;
        if (pos >= end) raise("ValueError", "Missing ']' in format string");
        name_end = pos++;
      } else {
        raise("ValueError", "Only '.' or '[' may follow ']' in format field specifier");
      }
      if (name_begin == name_end) raise("ValueError", "Empty attribute in format string");
      if (kind == U'.')
        throw Error("attribute lookups in format fields ('." + encode(s.substr(name_begin, name_end - name_begin)) +
                    "') are not supported");
      long long item = whole_integer(s, name_begin, name_end);
      if (item == -1) raise("TypeError", "string indices must be integers, not 'str'");
      if (static_cast<size_t>(item) >= value.size()) raise("IndexError", "string index out of range");
      value = Text(1, value[static_cast<size_t>(item)]);
    }
    return value;
  }

  enum class Numbering { Unset, Automatic, Manual };
  std::vector<Text> args_;
  Numbering numbering_ = Numbering::Unset;
  long long next_automatic_ = 0;
};

}  // namespace

std::string py_format(std::string_view format, const std::vector<std::string>& args) {
  std::vector<Text> decoded;
  for (const auto& a : args) decoded.push_back(decode(a, "format argument"));
  Text text = decode(format, "format string");
  return encode(Formatter(std::move(decoded)).build(text, 0, text.size(), 2));
}

}  // namespace lmpipe
