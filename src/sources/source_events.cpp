// Shared event building and field reading for sources: see source_events.h.
#include "sources/source_events.h"

#include "schema/event_json.h"

#include <boost/json.hpp>

namespace herald::sources {

namespace json = boost::json;

namespace {

Error parseError(std::string_view where, std::string_view key, std::string_view problem) {
  std::string field = std::string(where);
  if (!key.empty()) field += (field.empty() ? "" : ".") + std::string(key);
  return Error::make(Errc::parse_error, field + " " + std::string(problem), field);
}

}  // namespace

Result<Event> makeEvent(std::string_view topic, json::object data, const TopicSet& topics, std::int64_t now_ms,
                        json::object attributes) {
  json::object event{{"topic", topic}, {"data", std::move(data)}};
  if (!attributes.empty()) event["attributes"] = std::move(attributes);
  return schema::eventFromJson(event, topics, schema::PublishLimits{}, now_ms, topic);
}

Result<Event> noticeEvent(std::string_view level, std::string_view code, std::string_view message,
                          const TopicSet& topics, std::int64_t now_ms) {
  return makeEvent("system.notice", json::object{{"level", level}, {"code", code}, {"message", message}}, topics,
                   now_ms);
}

Result<std::uint64_t> readUint(const json::object& obj, std::string_view key, std::string_view where) {
  const auto* v = obj.if_contains(key);
  if (v == nullptr) return parseError(where, key, "is missing");
  if (v->is_uint64()) return v->get_uint64();
  if (v->is_int64() && v->get_int64() >= 0) return static_cast<std::uint64_t>(v->get_int64());
  return parseError(where, key, "must be a non-negative integer");
}

Result<std::int64_t> readInt(const json::object& obj, std::string_view key, std::string_view where) {
  const auto* v = obj.if_contains(key);
  if (v == nullptr) return parseError(where, key, "is missing");
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    return static_cast<std::int64_t>(v->get_uint64());
  }
  return parseError(where, key, "must be an integer");
}

Result<std::string> readString(const json::object& obj, std::string_view key, std::string_view where) {
  const auto* v = obj.if_contains(key);
  if (v == nullptr) return parseError(where, key, "is missing");
  if (!v->is_string()) return parseError(where, key, "must be a string");
  return std::string(v->get_string());
}

Result<bool> readBool(const json::object& obj, std::string_view key, std::string_view where) {
  const auto* v = obj.if_contains(key);
  if (v == nullptr) return parseError(where, key, "is missing");
  if (!v->is_bool()) return parseError(where, key, "must be true or false");
  return v->get_bool();
}

Result<const json::object*> readObject(const json::value& v, std::string_view where) {
  if (!v.is_object()) return parseError(where, "", "must be an object");
  return &v.get_object();
}

Result<json::value> parseJson(std::string_view text, std::string_view where) {
  boost::system::error_code ec;
  json::value doc = json::parse(text, ec);
  if (ec) return Error::make(Errc::parse_error, std::string(where) + " is not valid JSON: " + ec.message());
  return doc;
}

}  // namespace herald::sources
