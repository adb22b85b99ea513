#pragma once
// Python's str.format with string arguments, as CPython 3.12 implements it
// (Objects/stringlib/unicode_format.h: literal text, {{ and }} escapes, replacement fields with
// automatic or manual numbering, [index] lookups, !r/!s/!a conversions, nested format specs;
// Python/formatter_unicode.c: str.__format__'s fill, align, width and precision).
// Pipelines format their templates with it (zero-shot's hypothesis_template), so a template is
// accepted, rejected and expanded exactly as `template.format(label)` is in transformers.
#include <string>
#include <string_view>
#include <vector>

namespace lmpipe {

// `format.format(*args)`, no keyword arguments; `format` and `args` are UTF-8. Throws
// lmpipe::Error with Python's exception and message, e.g. "IndexError: Replacement index 1 out
// of range for positional args tuple" or "ValueError: Single '}' encountered in format string".
// Two deliberate differences, both errors: attribute lookups ("{0.upper}", which Python answers
// with a bound method's repr and memory address), and a width above 1,000,000 characters.
std::string py_format(std::string_view format, const std::vector<std::string>& args);

}  // namespace lmpipe
