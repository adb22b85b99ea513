#pragma once
// lmpipe's version and the versions of the libraries it runs on (`lmpipe version`).
#include <string>
#include <utility>
#include <vector>

namespace lmpipe {

// "0.1.0", the project version in CMakeLists.txt.
const char* version();

// (library, version) for each library lmpipe links: the version the library reports at run
// time where it has such a call, else the version lmpipe was built against.
std::vector<std::pair<std::string, std::string>> library_versions();

}  // namespace lmpipe
