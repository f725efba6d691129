// Fuzzes the HTTP poll source's two readers of outside bytes: the definition file
// (parseHttpPollDefinition) and an upstream's response (mapResponse under a fixed mapping that uses
// escapes, array indices and a change key). Beyond "no crash": an accepted definition has valid
// pointers and at least one field; a mapped event carries exactly the mapped fields, each
// present at its pointer in the response, and its data is a JSON object.
#include <boost/json.hpp>
#include <cstdint>
#include <string_view>

#include "fuzz_support.h"
#include "schema/catalog.h"
#include "sources/http_poll_mapping.h"

namespace json = boost::json;
using namespace herald;
using herald::fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const TopicSet topics = schema::topicSet({"acme.status"});
  static const sources::HttpPollMapping mapping = [] {
    sources::HttpPollMapping m;
    m.topic = "acme.status";
    m.fields = {{"height", "/result/height"}, {"first", "/list/0"}, {"odd", "/a~1b/~0c"}};
    m.attributes = {{"network", "/result/nettype"}};
    m.key = "/result/hash";
    return m;
  }();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  boost::system::error_code ec;
  const json::value doc = json::parse(text, ec);
  if (ec) return 0;

  auto definition = sources::parseHttpPollDefinition(doc, topics);
  if (definition) {
    require(!definition->mapping.fields.empty() && topics.contains(definition->mapping.topic));
    for (const auto& [name, pointer] : definition->mapping.fields)
      require(sources::checkJsonPointer(pointer).has_value());
    require(definition->method == "GET" || definition->method == "POST");
  } else {
    require(!definition.error().message.empty());
  }

  auto mapped = sources::mapResponse(mapping, doc, topics, 1234);
  if (!mapped) {
    require(!mapped.error().message.empty());
    return 0;
  }
  const json::value d = herald::fuzz::mustParse(mapped->event.data);
  require(d.is_object() && d.get_object().size() == mapping.fields.size());
  for (const auto& [name, pointer] : mapping.fields) {
    const json::value* v = doc.find_pointer(pointer, ec);
    require(v != nullptr && d.get_object().contains(name));
  }
  require(mapped->event.attribute("network") != nullptr);
  require(!mapped->key.empty());
  return 0;
}
