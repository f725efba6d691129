// HttpPollDefinition: what the generic HTTP poll source asks (URL, method, JSON body) and how it
// turns each JSON answer into one event: the topic, a JSON Pointer (RFC 6901) per data field and per
// attribute, and an optional change key. The definition is a JSON file (docs/sources/http-poll.md).
//
// Pure: no I/O, no clock. Must not: let a definition through that could only fail at poll time for
// a reason visible now (a malformed pointer, an undeclared topic, an unknown member); a response
// that lacks a pointed-to value is an error naming the pointer and the field, never a partial event.
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/event.h"
#include "core/result.h"
#include "core/topics.h"
#include "sources/http_json_client.h"

namespace herald::sources {

struct HttpPollMapping {
  std::string topic;
  std::vector<std::pair<std::string, std::string>> fields;      // data field name -> pointer, in file order
  std::vector<std::pair<std::string, std::string>> attributes;  // attribute key -> pointer
  // Emit only when the value here differs from the last emitted one. Absent: when the mapped event
  // (data and attributes) differs.
  std::optional<std::string> key;
};

struct HttpPollDefinition {
  HttpUrl url;
  std::string method = "GET";  // GET, or POST (the default when a body is given)
  boost::json::value body;     // POST's JSON body (null: {} is sent); unused for GET
  HttpPollMapping mapping;
};

// Errc::invalid_params for text that is not an RFC 6901 pointer ("" or "/..." with '~' only in
// "~0" and "~1"), naming the fault.
Result<void> checkJsonPointer(std::string_view pointer);

// The definition file's JSON. Errc::invalid_params naming the member: a missing or mistyped url,
// topic or fields, a bad pointer, a method other than GET/POST, GET with a body, a topic that is
// neither in `topics` nor well-formed, an unknown member.
Result<HttpPollDefinition> parseHttpPollDefinition(const boost::json::value& doc, const TopicSet& topics);

struct MappedResponse {
  Event event;
  std::string key;  // the change key's text (compact JSON)
};

// One response to one event. Errc::parse_error "<pointer> (field <name>) is not in the response"
// for a missing value; the catalog's own errors (schema::eventFromJson) for a topic's rules.
Result<MappedResponse> mapResponse(const HttpPollMapping& mapping, const boost::json::value& response,
                                   const TopicSet& topics, std::int64_t now_ms);

}  // namespace herald::sources
