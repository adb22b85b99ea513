#include "python/convert.h"

#include <pybind11/numpy.h>

#include <cstdint>
#include <functional>
#include <limits>

#include "util/error.h"

namespace py = pybind11;

namespace lmpipe::python {

json to_json(py::handle object, const std::string& where) {
  PyObject* o = object.ptr();
  if (object.is_none()) return nullptr;
  if (PyBool_Check(o)) return object.cast<bool>();
  if (PyLong_Check(o)) {
    int overflow = 0;
    const long long value = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (overflow == 0) return static_cast<int64_t>(value);
    if (overflow > 0) {
      const unsigned long long big = PyLong_AsUnsignedLongLong(o);
      if (!PyErr_Occurred()) return static_cast<uint64_t>(big);
      PyErr_Clear();
    }
    throw Error(where + ": the integer " + py::str(object).cast<std::string>() + " is out of range",
                ErrorKind::invalid_argument);
  }
  if (PyFloat_Check(o)) return object.cast<double>();
  if (PyUnicode_Check(o)) return object.cast<std::string>();
  if (PyList_Check(o) || PyTuple_Check(o)) {
    json array = json::array();
    size_t i = 0;
    for (py::handle item : object) array.push_back(to_json(item, where + "[" + std::to_string(i++) + "]"));
    return array;
  }
  if (PyDict_Check(o)) {
    json dict = json::object();
    for (auto [key, value] : object.cast<py::dict>()) {
      if (!PyUnicode_Check(key.ptr()))
        throw Error(where + ": dictionary keys must be strings, not " + py::repr(key).cast<std::string>(),
                    ErrorKind::invalid_argument);
      const std::string name = key.cast<std::string>();
      dict[name] = to_json(value, where + "['" + name + "']");
    }
    return dict;
  }
  if (py::hasattr(object, "tolist")) return to_json(object.attr("tolist")(), where);
  throw Error(where + ": a pipeline takes str, int, float, bool, None, lists and dicts of those, not " +
                  std::string(Py_TYPE(o)->tp_name),
              ErrorKind::invalid_argument);
}

py::object to_python(const json& value) {
  switch (value.type()) {
    case json::value_t::null: return py::none();
    case json::value_t::boolean: return py::bool_(value.get<bool>());
    case json::value_t::number_integer: return py::int_(value.get<int64_t>());
    case json::value_t::number_unsigned: return py::int_(value.get<uint64_t>());
    case json::value_t::number_float: return py::float_(value.get<double>());
    case json::value_t::string: return py::str(value.get_ref<const std::string&>());
    case json::value_t::array: {
      py::list list(value.size());
      for (size_t i = 0; i < value.size(); ++i) list[i] = to_python(value[i]);
      return list;
    }
    case json::value_t::object: {
      py::dict dict;
      for (const auto& [key, item] : value.items()) dict[py::str(key)] = to_python(item);
      return dict;
    }
    default: throw Error("a pipeline returned a JSON value Python cannot represent: " + value.dump());
  }
}

namespace {

// A NumPy array over the vector's storage; the array owns the vector from now on.
py::array_t<float> own_as_numpy(Pipeline::FloatArray&& array) {
  int64_t count = 1;
  for (int64_t d : array.shape) count *= d;
  if (count != static_cast<int64_t>(array.data.size()))
    throw Error("a pipeline returned an array of " + std::to_string(array.data.size()) +
                " values for a shape of " + std::to_string(count));
  auto* data = new std::vector<float>(std::move(array.data));
  py::capsule owner(data, [](void* p) { delete static_cast<std::vector<float>*>(p); });
  return py::array_t<float>(std::vector<py::ssize_t>(array.shape.begin(), array.shape.end()), data->data(), owner);
}

}  // namespace

py::object to_python(Pipeline::Result&& result) {
  py::object root = to_python(result.value);
  for (auto& [pointer, array] : result.arrays) {
    py::array_t<float> numpy = own_as_numpy(std::move(array));
    if (pointer.empty()) {
      root = std::move(numpy);
      continue;
    }
    // Walk the JSON pointer's reference tokens ("/0/embedding"), each unescaped (~1 is /, ~0 is ~).
    const json::json_pointer where(pointer);
    std::vector<std::string> tokens;
    for (json::json_pointer p = where; !p.empty(); p = p.parent_pointer()) tokens.insert(tokens.begin(), p.back());
    py::object parent = root;
    for (size_t i = 0; i + 1 < tokens.size(); ++i)
      parent = py::isinstance<py::list>(parent) ? parent[py::int_(std::stoll(tokens[i]))] : parent[py::str(tokens[i])];
    if (py::isinstance<py::list>(parent))
      parent[py::int_(std::stoll(tokens.back()))] = std::move(numpy);
    else
      parent[py::str(tokens.back())] = std::move(numpy);
  }
  return root;
}

}  // namespace lmpipe::python
