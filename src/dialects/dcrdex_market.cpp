// Asset table, market spellings and the message-rate converter (see dcrdex_market.h).
#include "dialects/dcrdex_market.h"

#include <array>
#include <cctype>
#include <limits>

namespace herald::dialects::dcrdex {
namespace {

struct AssetEntry {
  std::string_view symbol;
  std::uint32_t id;
};

// SLIP-0044 registered coin types of the assets dcrdex trades (and Monero, which Herald's other
// DEX sources quote against). Extending it is the way to serve a new market.
constexpr std::array<AssetEntry, 12> kAssets = {{
    {"btc", 0},
    {"ltc", 2},
    {"doge", 3},
    {"dash", 5},
    {"dgb", 20},
    {"dcr", 42},
    {"eth", 60},
    {"xmr", 128},
    {"zec", 133},
    {"firo", 136},
    {"bch", 145},
    {"polygon", 966},
}};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::optional<Market> marketFromSymbols(std::string_view base, std::string_view quote) {
  const auto b = assetId(base);
  const auto q = assetId(quote);
  if (!b || !q || *b == *q) return std::nullopt;
  return Market{std::string(base) + "_" + std::string(quote), upper(base) + "/" + upper(quote), *b, *q};
}

Error badRate(std::string message) { return Error::make(Errc::invalid_params, std::move(message), "rate"); }

}  // namespace

Result<std::uint64_t> messageRate(std::string_view decimal) {
  if (decimal.empty()) return badRate("rate: empty");
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t whole = 0;
  std::uint64_t fraction = 0;  // the first 8 decimals, scaled to 10^8
  std::uint64_t fraction_scale = kRateScale;
  bool seen_dot = false;
  bool seen_digit = false;
  for (const char c : decimal) {
    if (c == '.') {
      if (seen_dot) return badRate("rate: more than one '.'");
      seen_dot = true;
      continue;
    }
    if (c < '0' || c > '9')
      return badRate("rate: expected decimal digits, found '" + std::string(1, c) + "'");
    seen_digit = true;
    const std::uint64_t digit = static_cast<std::uint64_t>(c - '0');
    if (!seen_dot) {
      if (whole > (kMax - digit) / 10) return badRate("rate: too large");
      whole = whole * 10 + digit;
    } else if (fraction_scale > 1) {
      fraction_scale /= 10;
      fraction += digit * fraction_scale;
    }  // further decimals are below 10^-8: floored away
  }
  if (!seen_digit) return badRate("rate: no digits");
  if (whole > (kMax - fraction) / kRateScale) return badRate("rate: too large");
  return whole * kRateScale + fraction;
}

std::string decimalRate(std::uint64_t message_rate) {
  std::string out = std::to_string(message_rate / kRateScale);
  std::uint64_t fraction = message_rate % kRateScale;
  if (fraction == 0) return out;
  std::string digits = std::to_string(fraction);
  digits.insert(0, 8 - digits.size(), '0');
  while (digits.back() == '0') digits.pop_back();
  return out + "." + digits;
}

std::optional<std::uint32_t> assetId(std::string_view symbol) {
  for (const auto& a : kAssets) {
    if (a.symbol == symbol) return a.id;
  }
  return std::nullopt;
}

std::optional<std::string_view> assetSymbol(std::uint32_t id) {
  for (const auto& a : kAssets) {
    if (a.id == id) return a.symbol;
  }
  return std::nullopt;
}

std::optional<Market> marketFromIds(std::uint32_t base, std::uint32_t quote) {
  const auto b = assetSymbol(base);
  const auto q = assetSymbol(quote);
  if (!b || !q) return std::nullopt;
  return marketFromSymbols(*b, *q);
}

std::optional<Market> marketFromName(std::string_view name) {
  const auto sep = name.find('_');
  if (sep == std::string_view::npos || name != lower(name)) return std::nullopt;
  return marketFromSymbols(name.substr(0, sep), name.substr(sep + 1));
}

std::optional<Market> marketFromCatalog(std::string_view catalog) {
  const auto sep = catalog.find('/');
  if (sep == std::string_view::npos) return std::nullopt;
  return marketFromSymbols(lower(catalog.substr(0, sep)), lower(catalog.substr(sep + 1)));
}

}  // namespace herald::dialects::dcrdex
