// HttpPollDefinition parsing and response mapping: see http_poll_mapping.h.
#include "sources/http_poll_mapping.h"

#include <boost/json.hpp>

#include "sources/source_events.h"

namespace herald::sources {

namespace json = boost::json;

namespace {

Error invalid(std::string message) { return Error::make(Errc::invalid_params, std::move(message)); }

// Members of a {name: pointer} object, each pointer checked; `what` names the member for errors.
Result<std::vector<std::pair<std::string, std::string>>> pointerTable(const json::value& v,
                                                                      std::string_view what) {
  if (!v.is_object()) return invalid(std::string(what) + " must be an object of NAME: \"/json/pointer\"");
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, pointer] : v.get_object()) {
    const std::string where = std::string(what) + "." + std::string(name);
    if (name.empty()) return invalid(std::string(what) + " has an empty name");
    if (!pointer.is_string())
      return invalid(where + " must be a JSON Pointer string such as \"/result/height\"");
    if (auto ok = checkJsonPointer(pointer.get_string()); !ok)
      return invalid(where + ": " + ok.error().message);
    out.emplace_back(std::string(name), std::string(pointer.get_string()));
  }
  return out;
}

const json::value* find(const json::value& response, const std::string& pointer) {
  boost::system::error_code ec;
  return response.find_pointer(pointer, ec);
}

Error missing(const std::string& pointer, std::string_view what) {
  return Error::make(Errc::parse_error, pointer + " (" + std::string(what) + ") is not in the response",
                     pointer);
}

}  // namespace

Result<void> checkJsonPointer(std::string_view pointer) {
  if (pointer.empty()) return {};
  if (pointer.front() != '/')
    return invalid("'" + std::string(pointer) + "' is not a JSON Pointer: it must start with '/'");
  for (std::size_t i = 0; i < pointer.size(); ++i) {
    if (pointer[i] != '~') continue;
    if (i + 1 >= pointer.size() || (pointer[i + 1] != '0' && pointer[i + 1] != '1')) {
      return invalid("'" + std::string(pointer) + "' is not a JSON Pointer: '~' must be followed by 0 or 1");
    }
  }
  return {};
}

Result<HttpPollDefinition> parseHttpPollDefinition(const json::value& doc, const TopicSet& topics) {
  if (!doc.is_object()) return invalid("the definition must be a JSON object");
  const json::object& o = doc.get_object();
  for (const auto& [name, value] : o) {
    if (name != "url" && name != "method" && name != "body" && name != "topic" && name != "fields" &&
        name != "attributes" && name != "key") {
      return invalid("unknown member '" + std::string(name) +
                     "' (known: url, method, body, topic, fields, attributes, key)");
    }
  }
  HttpPollDefinition d;
  auto url = readString(o, "url", "");
  if (!url) return invalid(url.error().message);
  auto parsed = parseHttpUrl(*url);
  if (!parsed) return invalid("url: " + parsed.error().message);
  d.url = *parsed;

  if (const auto* body = o.if_contains("body")) {
    if (!body->is_object() && !body->is_array())
      return invalid("body must be a JSON object or array (sent as POST)");
    d.body = *body;
    d.method = "POST";
  }
  if (const auto* method = o.if_contains("method")) {
    if (!method->is_string() || (method->get_string() != "GET" && method->get_string() != "POST")) {
      return invalid("method must be \"GET\" or \"POST\"");
    }
    d.method = std::string(method->get_string());
    if (d.method == "GET" && !d.body.is_null()) return invalid("method GET cannot send a body; use POST");
  }

  auto topic = readString(o, "topic", "");
  if (!topic) return invalid(topic.error().message);
  if (!topics.contains(*topic)) {
    return Error::make(Errc::unknown_topic, "topic '" + *topic +
                                                "' is neither a catalog topic nor declared in [topics] extra "
                                                "(--extra-topic " +
                                                *topic + ")");
  }
  d.mapping.topic = *topic;

  const auto* fields = o.if_contains("fields");
  if (fields == nullptr) return invalid("fields is missing: map each data field to a JSON Pointer");
  auto table = pointerTable(*fields, "fields");
  if (!table) return table.error();
  if (table->empty()) return invalid("fields must map at least one data field");
  d.mapping.fields = std::move(*table);

  if (const auto* attributes = o.if_contains("attributes")) {
    auto attrs = pointerTable(*attributes, "attributes");
    if (!attrs) return attrs.error();
    d.mapping.attributes = std::move(*attrs);
  }
  if (const auto* key = o.if_contains("key")) {
    if (!key->is_string())
      return invalid("key must be a JSON Pointer string such as \"/result/top_block_hash\"");
    if (auto ok = checkJsonPointer(key->get_string()); !ok) return invalid("key: " + ok.error().message);
    d.mapping.key = std::string(key->get_string());
  }
  return d;
}

Result<MappedResponse> mapResponse(const HttpPollMapping& mapping, const json::value& response,
                                   const TopicSet& topics, std::int64_t now_ms) {
  json::object data;
  for (const auto& [name, pointer] : mapping.fields) {
    const json::value* v = find(response, pointer);
    if (v == nullptr) return missing(pointer, "field " + name);
    data[name] = *v;
  }
  json::object attributes;
  for (const auto& [name, pointer] : mapping.attributes) {
    const json::value* v = find(response, pointer);
    if (v == nullptr) return missing(pointer, "attribute " + name);
    // Filters compare strings: scalars become their JSON text, strings stay as they are.
    if (v->is_string()) {
      attributes[name] = *v;
    } else if (v->is_number() || v->is_bool()) {
      attributes[name] = json::serialize(*v);
    } else {
      return Error::make(Errc::parse_error,
                         pointer + " (attribute " + name + ") must be a string, number or boolean, not " +
                             (v->is_null()    ? "null"
                              : v->is_array() ? "an array"
                                              : "an object"),
                         pointer);
    }
  }
  std::string key;
  if (mapping.key) {
    const json::value* v = find(response, *mapping.key);
    if (v == nullptr) return missing(*mapping.key, "change key");
    key = json::serialize(*v);
  } else {
    key = json::serialize(data) + json::serialize(attributes);
  }
  auto event = makeEvent(mapping.topic, std::move(data), topics, now_ms, std::move(attributes));
  if (!event) return event.error();
  return MappedResponse{std::move(*event), std::move(key)};
}

}  // namespace herald::sources
