// POST / and POST /models/<id>: the Hugging Face Inference API shape, {"inputs": ...,
// "parameters": {...}}, answered with exactly what the pipeline returns for
// pipeline(inputs, **parameters).
#include <chrono>
#include <filesystem>

#include "server/context.h"

namespace lmpipe::server {

namespace {

// huggingface_hub sends feature extraction's arguments at the top level, not in "parameters".
bool takes_top_level_arguments(const std::string& task) {
  return task == "feature-extraction" || task == "sentence-embeddings";
}

void infer(Context& context, const httplib::Request& req, httplib::Response& res) {
  const auto start = std::chrono::steady_clock::now();
  context.require_model();
  const json body = parse_json_body(req.body);
  if (!body.is_object()) throw HttpError{422, "the body must be a JSON object: {\"inputs\": ..., \"parameters\": {...}}"};
  if (!body.contains("inputs")) throw HttpError{422, "missing field \"inputs\""};
  json kwargs = json::object();
  if (auto p = body.find("parameters"); p != body.end() && !p->is_null()) {
    if (!p->is_object()) throw HttpError{422, "field \"parameters\" must be an object, not " + std::string(p->type_name())};
    kwargs = *p;
  }
  for (const auto& [key, value] : body.items()) {
    if (key == "inputs" || key == "parameters" || key == "options") continue;  // options: the legacy API's flags
    if (!takes_top_level_arguments(context.model.task))
      throw HttpError{422, "unknown field \"" + key + "\" (the pipeline's arguments go in \"parameters\")"};
    kwargs[key] = value;
  }
  const Outcome outcome = context.compute(body["inputs"], kwargs);
  reply_outcome(res, outcome, outcome.value,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

}  // namespace

void add_inference_routes(httplib::Server& http, Context& context) {
  auto guarded = [&context](const httplib::Request& req, httplib::Response& res) {
    try {
      // POST /models/<id> names the model: another one is not here.
      if (req.matches.size() > 1 && context.ready.load(std::memory_order_acquire) &&
          req.matches[1].str() != context.model.id &&
          req.matches[1].str() != std::filesystem::path(context.model.id).filename().string())
        throw HttpError{404, "model \"" + req.matches[1].str() + "\" is not served here (this server runs \"" +
                                 context.model.id + "\")"};
      infer(context, req, res);
    } catch (const HttpError& e) {
      reply_error(res, e);
    }
  };
  http.Post("/", guarded);
  http.Post(R"(/models/(.+))", guarded);
}

}  // namespace lmpipe::server
