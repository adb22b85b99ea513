#pragma once
// lmpipe::json, the JSON value of every input, output and file lmpipe reads: nlohmann's
// ordered_json, whose objects keep their keys in insertion order as Python's dicts do, so that
// results print in the order transformers returns them ({"sequence", "labels", "scores"}).
// Build each output object in Python's key order. Lookups by key are linear scans: fine for
// the small objects of configs and results; a large map (a vocabulary) is iterated, or copied
// into a hash map, not searched key by key.
#include <nlohmann/json.hpp>

namespace lmpipe {

using json = nlohmann::ordered_json;

}  // namespace lmpipe
