// Published JSON -> Event and Event -> JSON. Every entrance (publish API, CLI, sources, history)
// goes through here so one set of rules decides what an event may look like.
//
// Must not: throw on bad input (every failure is an Error naming the field), or keep anything from
// the parsed document but the compact `data` text and the attribute strings.
#include "schema/event_json.h"

#include "schema/catalog.h"

#include <boost/json.hpp>
#include <boost/json/basic_parser_impl.hpp>

#include <charconv>
#include <cmath>

namespace herald::schema {
namespace {

namespace json = boost::json;

Error invalid(std::string_view prefix, std::string_view path, std::string_view problem) {
  return Error::make(Errc::invalid_params, std::string(path) + " " + std::string(problem),
                     fieldPath(prefix, path));
}

Error tooLarge(std::string_view prefix, std::string_view path, std::string message) {
  return Error::make(Errc::too_large, std::move(message), fieldPath(prefix, path));
}

// boost::json parses 1e999 as infinity and 0e400 as NaN and would serialize them as `Infinity` and
// `NaN`, which are not JSON: such numbers cannot be stored, so they are refused. Recursion depth is
// bounded by the parser's max_depth (32).
bool allFinite(const json::value& v) {
  switch (v.kind()) {
    case json::kind::double_:
      return std::isfinite(v.get_double());
    case json::kind::array:
      for (const auto& item : v.get_array()) {
        if (!allFinite(item)) return false;
      }
      return true;
    case json::kind::object:
      for (const auto& member : v.get_object()) {
        if (!allFinite(member.value())) return false;
      }
      return true;
    default:
      return true;
  }
}

Result<void> checkText(std::string_view prefix, std::string_view path, std::string_view what,
                       std::size_t size, const PublishLimits& limits) {
  if (size > limits.max_text) {
    return tooLarge(prefix, path,
                    std::string(what) + " is " + std::to_string(size) + " bytes, over max_text " +
                        std::to_string(limits.max_text));
  }
  return {};
}

Result<void> readAttributes(const json::value& v, std::string_view prefix, const PublishLimits& limits,
                            Event& event) {
  if (!v.is_object()) return invalid(prefix, "attributes", "must be an object");
  const auto& attrs = v.get_object();
  if (attrs.size() > limits.max_attributes) {
    return tooLarge(prefix, "attributes",
                    "attributes has " + std::to_string(attrs.size()) + " keys, over max_attributes " +
                        std::to_string(limits.max_attributes));
  }
  for (const auto& member : attrs) {
    const std::string_view key = member.key();
    const std::string path = "attributes." + std::string(key);
    if (key.empty()) return invalid(prefix, "attributes", "must not have an empty key");
    if (auto ok = checkText(prefix, path, "attribute key", key.size(), limits); !ok) return ok.error();
    Attribute attr{std::string(key), {}};
    const auto& value = member.value();
    if (value.is_string()) {
      attr.values.emplace_back(value.get_string());
    } else if (value.is_array() && !value.get_array().empty()) {
      const auto& arr = value.get_array();
      if (arr.size() > limits.max_values) {
        return tooLarge(prefix, path,
                        path + " has " + std::to_string(arr.size()) + " values, over max_values " +
                            std::to_string(limits.max_values));
      }
      for (const auto& item : arr) {
        if (!item.is_string())
          return invalid(prefix, path, "must be a string or a non-empty array of strings");
        attr.values.emplace_back(item.get_string());
      }
    } else {
      return invalid(prefix, path, "must be a string or a non-empty array of strings");
    }
    for (const auto& text : attr.values) {
      if (auto ok = checkText(prefix, path, "attribute value", text.size(), limits); !ok) return ok.error();
    }
    event.attributes.push_back(std::move(attr));
  }
  return {};
}

// Derived attributes count against the same limits as explicit ones: a chain.tx with hundreds of
// tags must not slip past max_attributes by being derived.
Result<void> checkFinalAttributes(const Event& event, std::string_view prefix, const PublishLimits& limits) {
  if (event.attributes.size() > limits.max_attributes) {
    return tooLarge(prefix, "attributes",
                    "event has " + std::to_string(event.attributes.size()) +
                        " attributes including those derived from data, over max_attributes " +
                        std::to_string(limits.max_attributes));
  }
  for (const auto& attr : event.attributes) {
    const std::string path = "attributes." + attr.key;
    if (auto ok = checkText(prefix, path, "attribute key", attr.key.size(), limits); !ok) return ok.error();
    if (attr.values.size() > limits.max_values) {
      return tooLarge(prefix, path,
                      path + " has " + std::to_string(attr.values.size()) +
                          " values including those derived from data, over max_values " +
                          std::to_string(limits.max_values));
    }
    for (const auto& text : attr.values) {
      if (auto ok = checkText(prefix, path, "attribute value", text.size(), limits); !ok) return ok.error();
    }
  }
  return {};
}

bool needsEscape(std::string_view text) {
  for (unsigned char c : text) {
    if (c < 0x20 || c == '"' || c == '\\') return true;
  }
  return false;
}

void appendUnsigned(std::string& out, std::uint64_t n) {
  char buf[20];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  out.append(buf, end);
}

void appendSigned(std::string& out, std::int64_t n) {
  char buf[20];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  out.append(buf, end);
}

}  // namespace

void appendJsonString(std::string& out, std::string_view text) {
  if (!needsEscape(text)) {
    out.push_back('"');
    out.append(text);
    out.push_back('"');
    return;
  }
  out += json::serialize(json::string_view(text.data(), text.size()));
}

Result<Event> eventFromJson(const boost::json::value& value, const TopicSet& topics,
                            const PublishLimits& limits, std::int64_t now_ms, std::string_view field) {
  if (!value.is_object()) {
    return Error::make(Errc::invalid_params, "an event must be a JSON object", std::string(field));
  }
  const auto& obj = value.get_object();
  for (const auto& member : obj) {
    const std::string_view key = member.key();
    if (key != "topic" && key != "attributes" && key != "data") {
      return Error::make(
          Errc::invalid_params,
          "unknown event field \"" + std::string(key) + "\" (expected topic, attributes, data)",
          fieldPath(field, key));
    }
  }

  Event event;
  const json::value* topic = obj.if_contains("topic");
  if (topic == nullptr) return invalid(field, "topic", "is required");
  if (!topic->is_string()) return invalid(field, "topic", "must be a string");
  const std::string_view name = topic->get_string();
  if (auto ok = checkText(field, "topic", "topic", name.size(), limits); !ok) return ok.error();
  if (auto ok = checkTopicName(name); !ok) {
    return Error::make(Errc::invalid_params, ok.error().message, fieldPath(field, "topic"));
  }
  if (!topics.contains(name)) {
    return Error::make(Errc::unknown_topic, "unknown topic \"" + std::string(name) + "\"",
                       fieldPath(field, "topic"));
  }
  event.topic = std::string(name);

  const json::value* data = obj.if_contains("data");
  if (data == nullptr) return invalid(field, "data", "is required");
  if (!data->is_object()) return invalid(field, "data", "must be an object");
  if (!allFinite(*data))
    return invalid(field, "data", "contains a number that has no JSON representation (out of range)");

  if (const json::value* attrs = obj.if_contains("attributes")) {
    if (auto ok = readAttributes(*attrs, field, limits, event); !ok) return ok.error();
  }
  if (auto ok = applyCatalog(event.topic, data->get_object(), event, field); !ok) return ok.error();

  event.data = json::serialize(data->get_object());
  if (event.data.size() > limits.max_data_bytes) {
    return tooLarge(field, "data",
                    "data is " + std::to_string(event.data.size()) + " bytes, over max_data_bytes " +
                        std::to_string(limits.max_data_bytes));
  }
  event.normalizeAttributes();
  if (auto ok = checkFinalAttributes(event, field, limits); !ok) return ok.error();
  event.time_ms = now_ms;
  return event;
}

namespace {

// boost::json reads an integer literal outside the 64-bit range as a double, so it would come back
// rounded and in exponent form (123456789012345678901 -> 1.2345678901234568E20): an amount changed
// without anyone noticing. A parse pass that sees each number's text finds such literals before the
// event is accepted, and names where it stands.
class IntegerRangeCheck {
 public:
  static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);

  std::string bad_path;    // JSON path of the first out-of-range integer
  std::string bad_literal;

  bool on_document_begin(boost::system::error_code&) { return true; }
  bool on_document_end(boost::system::error_code&) { return true; }
  bool on_array_begin(boost::system::error_code&) {
    value();
    frames_.push_back({true, 0, {}});
    return true;
  }
  bool on_array_end(std::size_t, boost::system::error_code&) { return pop(); }
  bool on_object_begin(boost::system::error_code&) {
    value();
    frames_.push_back({false, 0, {}});
    return true;
  }
  bool on_object_end(std::size_t, boost::system::error_code&) { return pop(); }
  bool on_string_part(std::string_view, std::size_t, boost::system::error_code&) { return true; }
  bool on_string(std::string_view, std::size_t, boost::system::error_code&) { return value(); }
  bool on_key_part(std::string_view s, std::size_t, boost::system::error_code&) {
    key_part_.append(s);
    return true;
  }
  bool on_key(std::string_view s, std::size_t, boost::system::error_code&) {
    if (!frames_.empty()) frames_.back().key = key_part_ + std::string(s);
    key_part_.clear();
    return true;
  }
  bool on_number_part(std::string_view s, boost::system::error_code&) {
    number_part_.append(s);
    return true;
  }
  bool on_int64(std::int64_t, std::string_view, boost::system::error_code&) { return number(); }
  bool on_uint64(std::uint64_t, std::string_view, boost::system::error_code&) { return number(); }
  bool on_double(double, std::string_view s, boost::system::error_code&) {
    const std::string text = number_part_ + std::string(s);
    number();
    if (bad_path.empty() && text.find_first_of(".eE") == std::string::npos) {
      bad_path = path();
      bad_literal = text;
    }
    return true;
  }
  bool on_bool(bool, boost::system::error_code&) { return value(); }
  bool on_null(boost::system::error_code&) { return value(); }
  bool on_comment_part(std::string_view, boost::system::error_code&) { return true; }
  bool on_comment(std::string_view, boost::system::error_code&) { return true; }

 private:
  struct Level {
    bool array;
    std::size_t next_index;
    std::string key;
  };
  bool value() {
    if (!frames_.empty() && frames_.back().array) ++frames_.back().next_index;
    return true;
  }
  bool number() {
    number_part_.clear();
    return value();
  }
  bool pop() {
    frames_.pop_back();
    return true;
  }
  std::string path() const {
    std::string out;
    for (std::size_t i = 0; i < frames_.size(); ++i) {
      const Level& level = frames_[i];
      if (level.array) {
        // Every value, this one included, advances its array's index when it starts.
        out += "[" + std::to_string(level.next_index - 1) + "]";
      } else {
        if (!out.empty()) out += ".";
        out += level.key;
      }
    }
    return out;
  }
  std::vector<Level> frames_;
  std::string key_part_;
  std::string number_part_;
};

Result<void> checkIntegerRange(std::string_view body) {
  json::basic_parser<IntegerRangeCheck> parser(json::parse_options{});
  boost::system::error_code ec;
  parser.write_some(false, body.data(), body.size(), ec);
  const IntegerRangeCheck& check = parser.handler();
  if (check.bad_path.empty()) return {};
  return Error::make(Errc::invalid_params,
                     check.bad_path + ": integer " + check.bad_literal.substr(0, 40) +
                         " is outside the 64-bit range and would lose precision; send it as a string",
                     check.bad_path);
}

}  // namespace

Result<std::vector<Event>> eventsFromJson(std::string_view body, const TopicSet& topics,
                                          const PublishLimits& limits, std::int64_t now_ms) {
  // The document only lives until its events are built: a monotonic arena makes parsing one
  // allocation-light pass and frees everything at once.
  json::monotonic_resource arena;
  json::stream_parser parser;
  parser.reset(&arena);
  boost::system::error_code ec;
  const std::size_t used = parser.write(body.data(), body.size(), ec);
  if (!ec) parser.finish(ec);
  if (ec) {
    return Error::make(Errc::parse_error,
                       "body is not valid JSON (at byte " + std::to_string(used) + "): " + ec.message());
  }
  const json::value doc = parser.release();
  if (auto exact = checkIntegerRange(body); !exact) return exact.error();

  std::vector<Event> events;
  if (doc.is_array()) {
    const auto& arr = doc.get_array();
    if (arr.empty()) return Error::make(Errc::invalid_params, "a batch must hold at least one event");
    if (arr.size() > limits.max_batch) {
      return Error::make(Errc::too_large, "batch of " + std::to_string(arr.size()) +
                                              " events is over max_batch " +
                                              std::to_string(limits.max_batch));
    }
    events.reserve(arr.size());
    for (std::size_t i = 0; i < arr.size(); ++i) {
      auto event = eventFromJson(arr[i], topics, limits, now_ms, "[" + std::to_string(i) + "]");
      if (!event) return event.error();
      events.push_back(std::move(*event));
    }
    return events;
  }
  if (!doc.is_object()) {
    return Error::make(Errc::invalid_params, "body must be an event object or an array of event objects");
  }
  auto event = eventFromJson(doc, topics, limits, now_ms);
  if (!event) return event.error();
  events.push_back(std::move(*event));
  return events;
}

std::string eventToJson(const Event& event, std::uint64_t epoch) {
  std::size_t size = 96 + event.topic.size() + event.data.size();
  for (const auto& attr : event.attributes) {
    size += attr.key.size() + 8;
    for (const auto& v : attr.values) size += v.size() + 4;
  }
  std::string out;
  out.reserve(size);
  out += "{\"topic\":";
  appendJsonString(out, event.topic);
  out += ",\"seq\":";
  appendUnsigned(out, event.seq);
  out += ",\"cursor\":\"";
  out += Cursor{epoch, event.seq}.toString();
  out += "\",\"time_ms\":";
  appendSigned(out, event.time_ms);
  out += ",\"attributes\":{";
  bool first = true;
  for (const auto& attr : event.attributes) {
    if (!first) out.push_back(',');
    first = false;
    appendJsonString(out, attr.key);
    out.push_back(':');
    if (attr.values.size() == 1) {
      appendJsonString(out, attr.values.front());
    } else {
      out.push_back('[');
      for (std::size_t i = 0; i < attr.values.size(); ++i) {
        if (i > 0) out.push_back(',');
        appendJsonString(out, attr.values[i]);
      }
      out.push_back(']');
    }
  }
  out += "},\"data\":";
  out += event.data.empty() ? std::string_view("{}") : std::string_view(event.data);
  out.push_back('}');
  return out;
}

}  // namespace herald::schema
