// The `lmpipe._lmpipe` extension: lmpipe::pipeline() and Pipeline::compute() for Python, generic
// over tasks (python/lmpipe/__init__.py is the public face). Arguments and results cross as
// JSON (convert.h); the GIL is released while the engine loads or computes.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <atomic>
#include <memory>
#include <string>

#include "lmpipe/pipeline.h"
#include "python/convert.h"
#include "util/error.h"

namespace py = pybind11;

namespace lmpipe::python {
namespace {

std::atomic<int64_t> models_loaded{0};

// A loaded pipeline and what it was loaded from.
struct BoundPipeline {
  std::string task, model;
  std::unique_ptr<Pipeline> pipeline;
  Pipeline::Signature signature;
};

std::unique_ptr<BoundPipeline> load(const std::string& task, const std::string& model, const std::string& dtype) {
  LoadOptions options;
  try {
    options.dtype = parse_weight_dtype(dtype);
  } catch (const Error& e) {
    throw Error(e.what(), ErrorKind::invalid_argument);
  }
  std::unique_ptr<Pipeline> loaded;
  try {
    py::gil_scoped_release release;
    loaded = pipeline(task, model, options);
  } catch (const json::exception& e) {
    // A model file field of the wrong JSON type, read with json::get.
    throw Error(task + ": cannot load '" + model + "': " + e.what());
  }
  ++models_loaded;
  Pipeline::Signature signature = loaded->signature();
  return std::make_unique<BoundPipeline>(BoundPipeline{task, model, std::move(loaded), std::move(signature)});
}

// Python's calling convention for a pipeline: the inputs first (positionally or by the name the
// task gives them), then the keyword arguments the task allows positionally, then keywords.
py::object call(const BoundPipeline& self, const py::args& args, const py::kwargs& kwargs) {
  const Pipeline::Signature& sig = self.signature;
  json inputs, options = json::object();
  for (auto [key, value] : kwargs) {
    const std::string name = key.cast<std::string>();
    if (name == sig.inputs) {
      if (!args.empty()) throw py::type_error(self.task + " got multiple values for argument '" + name + "'");
      inputs = to_json(value, name);
    } else {
      options[name] = to_json(value, name);
    }
  }
  if (args.empty() && !kwargs.contains(sig.inputs.c_str()))
    throw py::type_error(self.task + " missing 1 required positional argument: '" + sig.inputs + "'");
  if (!args.empty()) inputs = to_json(args[0], sig.inputs);
  if (args.size() > 1 + sig.positional.size())
    throw Error("Unable to understand extra arguments " + py::repr(args).cast<std::string>(), ErrorKind::invalid_argument);
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& name = sig.positional[i - 1];
    if (options.contains(name)) throw py::type_error(self.task + " got multiple values for argument '" + name + "'");
    options[name] = to_json(args[i], name);
  }

  Pipeline::Result result;
  try {
    py::gil_scoped_release release;
    result = self.pipeline->compute(inputs, options);
  } catch (const Error& e) {
    // What a call throws is about its arguments (pipeline.h) unless it says otherwise.
    if (e.kind() != ErrorKind::unspecified) throw;
    throw Error(e.what(), ErrorKind::invalid_argument);
  } catch (const json::exception& e) {
    // A keyword argument of the wrong JSON type, read with json::get.
    throw Error(self.task + ": invalid argument: " + e.what(), ErrorKind::invalid_argument);
  }
  return to_python(std::move(result));
}

PyObject* new_exception(py::module_& m, const char* name, const char* doc, py::handle bases) {
  PyObject* type = PyErr_NewExceptionWithDoc((std::string("lmpipe.") + name).c_str(), doc, bases.ptr(), nullptr);
  if (type == nullptr) throw py::error_already_set();
  m.add_object(name, py::handle(type));
  return type;
}

}  // namespace
}  // namespace lmpipe::python

PYBIND11_MODULE(_lmpipe, m) {
  using namespace lmpipe::python;
  m.doc() = "lmpipe's C++ engine (use the lmpipe package, not this module directly).";
  m.attr("__version__") = LMPIPE_VERSION;

  static PyObject* error = new_exception(m, "Error", "Base class of every error lmpipe raises.", PyExc_Exception);
  static PyObject* argument_error = new_exception(
      m, "ArgumentError", "An invalid argument: an unknown task, a bad keyword argument or input (a ValueError).",
      py::make_tuple(py::handle(error), py::handle(PyExc_ValueError)));
  static PyObject* load_error = new_exception(
      m, "LoadError",
      "A model, file or directory that is missing or unreadable, or a Hub that cannot be reached (an OSError).",
      py::make_tuple(py::handle(error), py::handle(PyExc_OSError)));
  py::register_exception_translator([](std::exception_ptr thrown) {
    try {
      std::rethrow_exception(thrown);
    } catch (const lmpipe::Error& e) {
      PyObject* type = e.kind() == lmpipe::ErrorKind::invalid_argument ? argument_error
                       : e.kind() == lmpipe::ErrorKind::io             ? load_error
                                                                       : error;
      PyErr_SetString(type, e.what());
    }
  });

  py::class_<BoundPipeline>(m, "Pipeline", "A loaded pipeline; call it as the transformers pipeline of its task.")
      .def("__call__", &call,
           "pipe(inputs, *positional, **kwargs): as the transformers pipeline of the task (see lmpipe.pipeline).")
      .def("__repr__",
           [](const BoundPipeline& p) {
             return "<lmpipe.Pipeline task=" + py::repr(py::str(p.task)).cast<std::string>() +
                    " model=" + py::repr(py::str(p.model)).cast<std::string>() + ">";
           })
      .def_property_readonly("task", [](const BoundPipeline& p) { return p.task; })
      .def_property_readonly("model", [](const BoundPipeline& p) { return p.model; })
      .def_property_readonly("inputs_name", [](const BoundPipeline& p) { return p.signature.inputs; })
      .def_property_readonly("positional", [](const BoundPipeline& p) { return p.signature.positional; });

  m.def("load", &load, py::arg("task"), py::arg("model"), py::arg("dtype") = "float32",
        "Loads the pipeline of `task` with `model` (a directory or Hub id; \"\" for the task's default) "
        "computing its linear layers in `dtype` (float32, bfloat16 or int8).");
  m.def("load_count", [] { return models_loaded.load(); }, "Pipelines this process has loaded.");
  m.def("_result_to_python", [](const py::object& value, std::vector<std::tuple<std::string, std::vector<int64_t>, std::vector<float>>> arrays) {
    lmpipe::Pipeline::Result result{to_json(value, "value"), {}};
    for (auto& [pointer, shape, data] : arrays) result.arrays.push_back({pointer, {shape, std::move(data)}});
    return to_python(std::move(result));
  }, "For tests: what a call returns for a pipeline result with float arrays.");
}
