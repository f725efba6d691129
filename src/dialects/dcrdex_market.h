// dcrdex markets and units: the SLIP-0044 asset ids the dcrdex protocol names assets by, the two
// spellings of a market (dcrdex "dcr_btc" on the wire, Herald's catalog "DCR/BTC" in events), and the
// message-rate format (rate x 10^8, floored) that every dcrdex rate is carried in.
//
// Pure functions over constants; safe from any thread. No floating point anywhere: a rate given as
// decimal text is converted digit by digit, so 0.001 is exactly 100000.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace herald::dialects::dcrdex {

// The message-rate scale: a conventional rate multiplied by 10^8 (atoms per coin for the assets
// dcrdex started with), floored to an integer.
inline constexpr std::uint64_t kRateScale = 100'000'000;

// "0.001" -> 100000; "1" -> 100000000; digits past the 8th decimal are dropped (floor, the value
// is never negative). Accepts only plain decimal text: digits with at most one '.', at least one
// digit. Errors (Errc::invalid_params): empty, a sign, an exponent, any other character, or a
// result over 2^64-1.
Result<std::uint64_t> messageRate(std::string_view decimal);

// The inverse, for display: 100000 -> "0.001", 100000000 -> "1" (no trailing zeros).
std::string decimalRate(std::uint64_t message_rate);

// Unix milliseconds to Unix seconds, rounded down as the protocol asks when a timestamp must become
// seconds (e.g. a contract locktime).
constexpr std::uint64_t unixSeconds(std::uint64_t unix_ms) noexcept { return unix_ms / 1000; }

// SLIP-0044 coin type of a lowercase dcrdex asset symbol ("dcr" -> 42), and back.
std::optional<std::uint32_t> assetId(std::string_view symbol);
std::optional<std::string_view> assetSymbol(std::uint32_t id);

struct Market {
  std::string name;     // dcrdex market id: "<base>_<quote>", lowercase ("dcr_btc")
  std::string catalog;  // Herald's event attribute `market`: "BASE/QUOTE", uppercase ("DCR/BTC")
  std::uint32_t base = 0;
  std::uint32_t quote = 0;

  friend bool operator==(const Market&, const Market&) = default;
};

// Each resolves only markets whose two assets are in the SLIP-0044 table and differ.
std::optional<Market> marketFromIds(std::uint32_t base, std::uint32_t quote);
std::optional<Market> marketFromName(std::string_view name);        // "dcr_btc"
std::optional<Market> marketFromCatalog(std::string_view catalog);  // "DCR/BTC"

}  // namespace herald::dialects::dcrdex
