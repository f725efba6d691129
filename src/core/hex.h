// Hex text <-> bytes: the one codec for every wire format that writes binary as hex (Monero keys
// and hashes, dcrdex account ids and signatures). Writes lowercase; reads either case.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace herald::hex {

std::string encode(std::string_view bytes);
std::string encode(std::span<const std::uint8_t> bytes);
// Nothing when `text` has an odd length or a character that is not a hex digit.
std::optional<std::string> decode(std::string_view text);

}  // namespace herald::hex
