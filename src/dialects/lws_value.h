// The payload model of the monero-lws feed dialect: one small value tree that every lws message is
// built as, written either as JSON (`lws.feed.v0.json`) or as MessagePack (`lws.feed.v0.msgpack`).
// The two encodings differ in one way only: a Blob (hash, key, payment id) is a lowercase hex string
// in JSON and a MessagePack `bin` in msgpack. Client payloads are read into the same tree, so the
// login is validated once for both encodings.
//
// Must not: do I/O or throw on outside input. Readers bound depth and sizes; everything malformed is
// an Error (Errc::parse_error) naming the byte offset.
#pragma once

#include <boost/json/fwd.hpp>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace herald::dialects::lws {

class Value {
 public:
  enum class Kind : std::uint8_t {
    null,
    boolean,
    unsigned_integer,
    signed_integer,
    string,
    blob,
    array,
    object
  };
  using Member = std::pair<std::string, Value>;

  Value() = default;
  static Value boolean(bool b);
  static Value uint(std::uint64_t n);
  static Value sint(std::int64_t n);  // stored as unsigned when n >= 0
  static Value string(std::string text);
  static Value blob(std::string bytes);  // raw bytes, not hex
  static Value array(std::vector<Value> items = {});
  static Value object(std::vector<Member> members = {});

  Kind kind() const noexcept { return kind_; }
  bool isNull() const noexcept { return kind_ == Kind::null; }
  bool asBool() const noexcept { return boolean_; }
  std::uint64_t asUint() const noexcept { return unsigned_; }
  std::int64_t asInt() const noexcept { return signed_; }
  const std::string& text() const noexcept { return text_; }  // string text or blob bytes
  const std::vector<Value>& items() const noexcept { return items_; }
  const std::vector<Member>& members() const noexcept { return members_; }

  // Object building and lookup (the last of duplicate keys wins, as in boost::json).
  Value& add(std::string key, Value value);
  Value& push(Value value);
  const Value* find(std::string_view key) const noexcept;

  friend bool operator==(const Value&, const Value&) = default;

 private:
  Kind kind_ = Kind::null;
  bool boolean_ = false;
  std::uint64_t unsigned_ = 0;
  std::int64_t signed_ = 0;
  std::string text_;
  std::vector<Value> items_;
  std::vector<Member> members_;
};

// `text` with every byte that is not part of well-formed UTF-8 replaced by U+FFFD. Both encodings
// write strings through it: JSON text and MessagePack `str` must be UTF-8, and error messages may
// quote what a client sent.
std::string validUtf8(std::string_view text);

// JSON text (compact). Blobs become lowercase hex strings.
void appendJson(std::string& out, const Value& value);
// MessagePack, smallest form of every integer and length. Blobs become `bin`.
void appendMsgpack(std::string& out, const Value& value);

struct ReadLimits {
  std::size_t max_depth = 16;  // a login is two levels deep; passed-through event data a few more
};

// Exactly one MessagePack value filling `bytes`. Map keys must be strings; every `str` must be UTF-8
// (as the format requires). `bin` becomes a Blob;
// ext, float and non-string keys are refused (no lws message uses them).
Result<Value> readMsgpack(std::string_view bytes, const ReadLimits& limits = {});

// A parsed JSON value as a tree. Strings stay strings, except that string members named in
// `blob_keys` (at any depth) holding even-length hex become Blobs, so both encodings of passed-through
// data carry binary keys as binary. Doubles are dropped (no lws field is fractional).
Value fromJson(const boost::json::value& json, std::span<const std::string_view> blob_keys = {});

}  // namespace herald::dialects::lws
