// HttpRequest helpers. Plain value code: no sockets, no Beast.
#include "transport/application.h"

namespace herald::transport {

std::string_view HttpRequest::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return {};
}

}  // namespace herald::transport
