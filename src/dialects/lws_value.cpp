// lws payload tree and its two encodings: see lws_value.h. The MessagePack reader checks every
// length against the bytes left before it allocates, so a hostile length prefix costs nothing.
#include "dialects/lws_value.h"

#include "core/hex.h"

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <cstring>

namespace herald::dialects::lws {

namespace json = boost::json;

Value Value::boolean(bool b) {
  Value v;
  v.kind_ = Kind::boolean;
  v.boolean_ = b;
  return v;
}

Value Value::uint(std::uint64_t n) {
  Value v;
  v.kind_ = Kind::unsigned_integer;
  v.unsigned_ = n;
  return v;
}

Value Value::sint(std::int64_t n) {
  if (n >= 0) return uint(static_cast<std::uint64_t>(n));
  Value v;
  v.kind_ = Kind::signed_integer;
  v.signed_ = n;
  return v;
}

Value Value::string(std::string text) {
  Value v;
  v.kind_ = Kind::string;
  v.text_ = std::move(text);
  return v;
}

Value Value::blob(std::string bytes) {
  Value v;
  v.kind_ = Kind::blob;
  v.text_ = std::move(bytes);
  return v;
}

Value Value::array(std::vector<Value> items) {
  Value v;
  v.kind_ = Kind::array;
  v.items_ = std::move(items);
  return v;
}

Value Value::object(std::vector<Member> members) {
  Value v;
  v.kind_ = Kind::object;
  v.members_ = std::move(members);
  return v;
}

Value& Value::add(std::string key, Value value) {
  members_.emplace_back(std::move(key), std::move(value));
  return members_.back().second;
}

Value& Value::push(Value value) {
  items_.push_back(std::move(value));
  return items_.back();
}

const Value* Value::find(std::string_view key) const noexcept {
  for (auto it = members_.rbegin(); it != members_.rend(); ++it) {
    if (it->first == key) return &it->second;
  }
  return nullptr;
}


// --- UTF-8 -----------------------------------------------------------------------------------

namespace {

// Length of the well-formed UTF-8 sequence at `s[i]` (RFC 3629: no overlongs, no surrogates, at
// most U+10FFFF), or 0.
std::size_t utf8Sequence(std::string_view s, std::size_t i) noexcept {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  if (c < 0x80) return 1;
  std::size_t n = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c == 0xe0) lo = 0xa0;
    if (c == 0xed) hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c == 0xf0) lo = 0x90;
    if (c == 0xf4) hi = 0x8f;
  } else {
    return 0;
  }
  if (s.size() - i < n) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xbf) return 0;
  }
  return n;
}

bool isValidUtf8(std::string_view text) noexcept {
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = utf8Sequence(text, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

}  // namespace

std::string validUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = utf8Sequence(text, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
      ++i;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
  return out;
}

// --- JSON ------------------------------------------------------------------------------------

namespace {

template <class Int>
void appendNumber(std::string& out, Int n) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  out.append(buf, end);
}

void appendJsonString(std::string& out, std::string_view text) {
  for (unsigned char c : text) {
    if (c >= 0x80) {
      // Escaping is boost::json's job, which copies bytes as they are: make them valid UTF-8 first.
      out += json::serialize(json::string_view(validUtf8(text)));
      return;
    }
    if (c < 0x20 || c == '"' || c == '\\') {
      out += json::serialize(json::string_view(text.data(), text.size()));
      return;
    }
  }
  out.push_back('"');
  out.append(text);
  out.push_back('"');
}

}  // namespace

void appendJson(std::string& out, const Value& value) {
  switch (value.kind()) {
    case Value::Kind::null:
      out += "null";
      return;
    case Value::Kind::boolean:
      out += value.asBool() ? "true" : "false";
      return;
    case Value::Kind::unsigned_integer:
      appendNumber(out, value.asUint());
      return;
    case Value::Kind::signed_integer:
      appendNumber(out, value.asInt());
      return;
    case Value::Kind::string:
      appendJsonString(out, value.text());
      return;
    case Value::Kind::blob:
      out.push_back('"');
      out += hex::encode(value.text());
      out.push_back('"');
      return;
    case Value::Kind::array: {
      out.push_back('[');
      bool first = true;
      for (const Value& item : value.items()) {
        if (!first) out.push_back(',');
        first = false;
        appendJson(out, item);
      }
      out.push_back(']');
      return;
    }
    case Value::Kind::object: {
      out.push_back('{');
      bool first = true;
      for (const auto& [key, member] : value.members()) {
        if (!first) out.push_back(',');
        first = false;
        appendJsonString(out, key);
        out.push_back(':');
        appendJson(out, member);
      }
      out.push_back('}');
      return;
    }
  }
}

// --- MessagePack writer ----------------------------------------------------------------------

namespace {

void putByte(std::string& out, unsigned value) { out.push_back(static_cast<char>(value & 0xff)); }

void putBigEndian(std::string& out, std::uint64_t value, int bytes) {
  for (int shift = (bytes - 1) * 8; shift >= 0; shift -= 8)
    putByte(out, static_cast<unsigned>(value >> shift));
}

// Length header of a str/bin/array/map: the smallest of the forms the format offers for it.
// `fix_base`/`fix_max`: the fix form (0 when none); `b8`: the 8-bit form's tag (0 when none).
void putLength(std::string& out, std::size_t n, unsigned fix_base, std::size_t fix_max, unsigned b8,
               unsigned b16, unsigned b32) {
  if (fix_base != 0 && n <= fix_max) {
    putByte(out, fix_base | static_cast<unsigned>(n));
  } else if (b8 != 0 && n <= 0xff) {
    putByte(out, b8);
    putBigEndian(out, n, 1);
  } else if (n <= 0xffff) {
    putByte(out, b16);
    putBigEndian(out, n, 2);
  } else {
    putByte(out, b32);
    putBigEndian(out, n, 4);
  }
}

// MessagePack `str` is UTF-8 by definition; clients decode it as such.
void putString(std::string& out, std::string_view text) {
  const bool ascii =
      std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  const std::string repaired = ascii ? std::string() : validUtf8(text);
  const std::string_view valid = ascii ? text : std::string_view(repaired);
  putLength(out, valid.size(), 0xa0, 31, 0xd9, 0xda, 0xdb);
  out.append(valid);
}

}  // namespace

void appendMsgpack(std::string& out, const Value& value) {
  switch (value.kind()) {
    case Value::Kind::null:
      putByte(out, 0xc0);
      return;
    case Value::Kind::boolean:
      putByte(out, value.asBool() ? 0xc3 : 0xc2);
      return;
    case Value::Kind::unsigned_integer: {
      const std::uint64_t n = value.asUint();
      if (n <= 0x7f) {
        putByte(out, static_cast<unsigned>(n));
      } else if (n <= 0xff) {
        putByte(out, 0xcc);
        putBigEndian(out, n, 1);
      } else if (n <= 0xffff) {
        putByte(out, 0xcd);
        putBigEndian(out, n, 2);
      } else if (n <= 0xffffffffULL) {
        putByte(out, 0xce);
        putBigEndian(out, n, 4);
      } else {
        putByte(out, 0xcf);
        putBigEndian(out, n, 8);
      }
      return;
    }
    case Value::Kind::signed_integer: {
      const std::int64_t n = value.asInt();  // always negative (see Value::sint)
      const auto bits = static_cast<std::uint64_t>(n);
      if (n >= -32) {
        putByte(out, static_cast<unsigned>(bits & 0xff));
      } else if (n >= INT8_MIN) {
        putByte(out, 0xd0);
        putBigEndian(out, bits, 1);
      } else if (n >= INT16_MIN) {
        putByte(out, 0xd1);
        putBigEndian(out, bits, 2);
      } else if (n >= INT32_MIN) {
        putByte(out, 0xd2);
        putBigEndian(out, bits, 4);
      } else {
        putByte(out, 0xd3);
        putBigEndian(out, bits, 8);
      }
      return;
    }
    case Value::Kind::string:
      putString(out, value.text());
      return;
    case Value::Kind::blob:
      putLength(out, value.text().size(), 0, 0, 0xc4, 0xc5, 0xc6);
      out.append(value.text());
      return;
    case Value::Kind::array:
      putLength(out, value.items().size(), 0x90, 15, 0, 0xdc, 0xdd);
      for (const Value& item : value.items()) appendMsgpack(out, item);
      return;
    case Value::Kind::object:
      putLength(out, value.members().size(), 0x80, 15, 0, 0xde, 0xdf);
      for (const auto& [key, member] : value.members()) {
        putString(out, key);
        appendMsgpack(out, member);
      }
      return;
  }
}

// --- MessagePack reader ----------------------------------------------------------------------

namespace {

class MsgpackReader {
 public:
  MsgpackReader(std::string_view bytes, const ReadLimits& limits) : bytes_(bytes), limits_(limits) {}

  Result<Value> readAll() {
    auto value = read(0);
    if (!value) return value;
    if (pos_ != bytes_.size()) return fail("trailing bytes after the MessagePack value");
    return value;
  }

 private:
  Error fail(std::string_view what) const {
    return Error::make(Errc::parse_error,
                       "invalid MessagePack at byte " + std::to_string(pos_) + ": " + std::string(what));
  }

  bool take(std::size_t n, std::string_view& out) {
    if (bytes_.size() - pos_ < n) return false;
    out = bytes_.substr(pos_, n);
    pos_ += n;
    return true;
  }

  bool takeBigEndian(int n, std::uint64_t& out) {
    std::string_view raw;
    if (!take(static_cast<std::size_t>(n), raw)) return false;
    out = 0;
    for (unsigned char c : raw) out = (out << 8) | c;
    return true;
  }

  Result<Value> readBytes(std::uint64_t n, bool blob) {
    std::string_view raw;
    if (!take(n, raw)) return fail("length runs past the end of the message");
    if (blob) return Value::blob(std::string(raw));
    if (!isValidUtf8(raw)) return fail("str is not UTF-8");
    return Value::string(std::string(raw));
  }

  Result<Value> readArray(std::uint64_t n, std::size_t depth) {
    // Every element takes at least one byte: a count beyond what is left is a lie, not a reserve.
    if (n > bytes_.size() - pos_) return fail("array count runs past the end of the message");
    Value out = Value::array();
    for (std::uint64_t i = 0; i < n; ++i) {
      auto item = read(depth + 1);
      if (!item) return item;
      out.push(std::move(*item));
    }
    return out;
  }

  Result<Value> readMap(std::uint64_t n, std::size_t depth) {
    if (n > (bytes_.size() - pos_) / 2) return fail("map count runs past the end of the message");
    Value out = Value::object();
    for (std::uint64_t i = 0; i < n; ++i) {
      auto key = read(depth + 1);
      if (!key) return key;
      if (key->kind() != Value::Kind::string) return fail("map keys must be strings");
      auto member = read(depth + 1);
      if (!member) return member;
      out.add(key->text(), std::move(*member));
    }
    return out;
  }

  Result<Value> read(std::size_t depth) {
    if (depth > limits_.max_depth) return fail("nested deeper than " + std::to_string(limits_.max_depth));
    std::string_view tag_byte;
    if (!take(1, tag_byte)) return fail("unexpected end of message");
    const auto tag = static_cast<unsigned char>(tag_byte[0]);
    std::uint64_t n = 0;
    if (tag <= 0x7f) return Value::uint(tag);
    if (tag >= 0xe0) return Value::sint(static_cast<std::int8_t>(tag));
    if ((tag & 0xf0) == 0x80) return readMap(tag & 0x0f, depth);
    if ((tag & 0xf0) == 0x90) return readArray(tag & 0x0f, depth);
    if ((tag & 0xe0) == 0xa0) return readBytes(tag & 0x1f, false);
    switch (tag) {
      case 0xc0:
        return Value{};
      case 0xc2:
        return Value::boolean(false);
      case 0xc3:
        return Value::boolean(true);
      case 0xc4:
      case 0xc5:
      case 0xc6:
        if (!takeBigEndian(1 << (tag - 0xc4), n)) return fail("truncated bin length");
        return readBytes(n, true);
      case 0xcc:
      case 0xcd:
      case 0xce:
      case 0xcf:
        if (!takeBigEndian(1 << (tag - 0xcc), n)) return fail("truncated integer");
        return Value::uint(n);
      case 0xd0:
      case 0xd1:
      case 0xd2:
      case 0xd3: {
        const int width = 1 << (tag - 0xd0);
        if (!takeBigEndian(width, n)) return fail("truncated integer");
        // Sign-extend from `width` bytes.
        const int shift = 64 - width * 8;
        const auto signed_value = static_cast<std::int64_t>(n << shift) >> shift;
        return Value::sint(signed_value);
      }
      case 0xd9:
      case 0xda:
      case 0xdb:
        if (!takeBigEndian(1 << (tag - 0xd9), n)) return fail("truncated str length");
        return readBytes(n, false);
      case 0xdc:
      case 0xdd:
        if (!takeBigEndian(tag == 0xdc ? 2 : 4, n)) return fail("truncated array length");
        return readArray(n, depth);
      case 0xde:
      case 0xdf:
        if (!takeBigEndian(tag == 0xde ? 2 : 4, n)) return fail("truncated map length");
        return readMap(n, depth);
      default:
        return fail("type not used by lws messages (float, ext or reserved)");
    }
  }

  std::string_view bytes_;
  const ReadLimits& limits_;
  std::size_t pos_ = 0;
};

bool isBlobKey(std::string_view key, std::span<const std::string_view> blob_keys) {
  return std::find(blob_keys.begin(), blob_keys.end(), key) != blob_keys.end();
}

}  // namespace

Result<Value> readMsgpack(std::string_view bytes, const ReadLimits& limits) {
  return MsgpackReader(bytes, limits).readAll();
}

Value fromJson(const json::value& value, std::span<const std::string_view> blob_keys) {
  switch (value.kind()) {
    case json::kind::null:
    case json::kind::double_:
      return Value{};
    case json::kind::bool_:
      return Value::boolean(value.get_bool());
    case json::kind::int64:
      return Value::sint(value.get_int64());
    case json::kind::uint64:
      return Value::uint(value.get_uint64());
    case json::kind::string:
      return Value::string(std::string(value.get_string()));
    case json::kind::array: {
      Value out = Value::array();
      for (const auto& item : value.get_array()) out.push(fromJson(item, blob_keys));
      return out;
    }
    case json::kind::object: {
      Value out = Value::object();
      for (const auto& member : value.get_object()) {
        const std::string_view key = member.key();
        if (member.value().is_string() && isBlobKey(key, blob_keys)) {
          if (auto bytes = hex::decode(member.value().get_string())) {
            out.add(std::string(key), Value::blob(std::move(*bytes)));
            continue;
          }
        }
        out.add(std::string(key), fromJson(member.value(), blob_keys));
      }
      return out;
    }
  }
  return Value{};
}

}  // namespace herald::dialects::lws
