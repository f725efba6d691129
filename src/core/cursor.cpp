#include "core/cursor.h"
#include "core/text.h"

#include <charconv>

namespace herald {

std::string Cursor::toString() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i) out[static_cast<std::size_t>(15 - i)] = kHex[(epoch >> (i * 4)) & 0xf];
  out.push_back(':');
  out += std::to_string(seq);
  return out;
}

Result<Cursor> Cursor::parse(std::string_view text) {
  auto bad = [&](std::string why) {
    return Error::make(Errc::parse_error, "cursor '" + std::string(utf8Prefix(text, 64)) + "': " + why);
  };
  auto colon = text.find(':');
  if (colon == std::string_view::npos) return bad("expected <16 hex digits>:<seq>");
  auto epoch_text = text.substr(0, colon);
  auto seq_text = text.substr(colon + 1);
  if (epoch_text.size() != 16) return bad("epoch must be exactly 16 hex digits");
  Cursor c;
  for (char ch : epoch_text) {
    unsigned v;
    if (ch >= '0' && ch <= '9') v = static_cast<unsigned>(ch - '0');
    else if (ch >= 'a' && ch <= 'f') v = static_cast<unsigned>(ch - 'a' + 10);
    else return bad("epoch must be lowercase hex");
    c.epoch = (c.epoch << 4) | v;
  }
  if (seq_text.empty() || seq_text.size() > 20) return bad("seq must be a decimal number");
  auto [end, ec] = std::from_chars(seq_text.data(), seq_text.data() + seq_text.size(), c.seq);
  if (ec != std::errc{} || end != seq_text.data() + seq_text.size()) return bad("seq must be a decimal number");
  if (seq_text.size() > 1 && seq_text[0] == '0') return bad("seq must not have leading zeros");
  return c;
}

std::string_view gapReasonName(GapReason reason) noexcept {
  switch (reason) {
    case GapReason::history_expired: return "history_expired";
    case GapReason::epoch_changed: return "epoch_changed";
  }
  return "history_expired";
}

}  // namespace herald
