#pragma once
// Python objects <-> the JSON values of the pipeline API (lmpipe/pipeline.h), generic over tasks.
#include <pybind11/pybind11.h>

#include <string>

#include "lmpipe/pipeline.h"

namespace lmpipe::python {

// None, bool, int, float, str, list/tuple, dict with str keys; anything with .tolist() (NumPy
// arrays and scalars, pandas Series) as what that returns. Throws lmpipe::Error
// (ErrorKind::invalid_argument) naming `where` for any other type.
json to_json(pybind11::handle object, const std::string& where);

// JSON as Python's json.loads gives it; each of the result's float arrays becomes a NumPy
// float32 array in its place, owning the data (no copy).
pybind11::object to_python(Pipeline::Result&& result);
pybind11::object to_python(const json& value);

}  // namespace lmpipe::python
