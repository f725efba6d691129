// Helpers every source shares to build catalog events and read upstream JSON: an event is built as
// JSON and passed through schema::eventFromJson, so the catalog's rules apply to a source exactly as
// to a publisher; the readers turn a missing or mistyped upstream field into an Error that names it.
//
// Pure: no I/O, no clock.
#pragma once

#include "core/event.h"
#include "core/result.h"
#include "core/topics.h"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace herald::sources {

// {"topic": topic, "data": data[, "attributes": attributes]} through schema::eventFromJson with the
// default publish limits. `attributes` may be empty.
Result<Event> makeEvent(std::string_view topic, boost::json::object data, const TopicSet& topics,
                        std::int64_t now_ms, boost::json::object attributes = {});

// system.notice; `level` is info, warning or error. The codes sources use are listed in
// docs/sources/README.md and never change meaning.
Result<Event> noticeEvent(std::string_view level, std::string_view code, std::string_view message,
                          const TopicSet& topics, std::int64_t now_ms);

// Field readers: Errc::parse_error "<where>.<key> is missing" / "... must be a non-negative integer".
Result<std::uint64_t> readUint(const boost::json::object& obj, std::string_view key, std::string_view where);
Result<std::int64_t> readInt(const boost::json::object& obj, std::string_view key, std::string_view where);
Result<std::string> readString(const boost::json::object& obj, std::string_view key, std::string_view where);
Result<bool> readBool(const boost::json::object& obj, std::string_view key, std::string_view where);
Result<const boost::json::object*> readObject(const boost::json::value& v, std::string_view where);

// Parses JSON text: Errc::parse_error naming `where`.
Result<boost::json::value> parseJson(std::string_view text, std::string_view where);

}  // namespace herald::sources
