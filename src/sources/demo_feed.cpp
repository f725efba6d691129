// DemoFeed: see demo_feed.h. Magnitudes (fees, sizes, amounts) are Monero's, in piconero, so the
// numbers look like what a real node would send; nothing here depends on them being right.
#include "sources/demo_feed.h"

#include "schema/catalog.h"

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <random>

namespace herald::sources {

namespace {

constexpr std::int64_t kPiconeroPerXmr = 1'000'000'000'000;
// Typical Monero fees (0.00002 .. 0.0002 XMR) and transaction sizes (2-output tx ~1.5 KB, more
// inputs make it larger).
constexpr std::int64_t kMinFee = 20'000'000;
constexpr std::int64_t kMaxFee = 200'000'000;
constexpr std::int64_t kMinTxBytes = 1'400;
constexpr std::int64_t kMaxTxBytes = 3'000;
// Offers between 0.05 and 20 XMR, in steps of 0.01 XMR as a trader would type them.
constexpr std::int64_t kAmountStep = kPiconeroPerXmr / 100;
constexpr std::int64_t kMinAmountSteps = 5;
constexpr std::int64_t kMaxAmountSteps = 2'000;
// Offers are priced within 3% of the market, prices move ~0.15% per tick, and never leave a factor
// of 4 around where they started, so a long-running demo still looks like the same market.
constexpr double kOfferSpread = 0.03;
constexpr double kPriceStep = 0.0015;
constexpr double kPriceBand = 4.0;
constexpr double kAddOfferChance = 0.5;
constexpr std::int64_t kMinPeers = 8;
constexpr std::int64_t kMaxPeers = 16;

}  // namespace

std::vector<DemoMarket> defaultDemoMarkets() {
  return {
      {"XMR/BTC", "BTC", {"BTC"}, 270'000},                                     // 0.0027 BTC
      {"XMR/USD", "USD", {"ZELLE", "REVOLUT", "STRIKE"}, 16'000'000'000},       // 160.00 USD
      {"XMR/EUR", "EUR", {"SEPA", "SEPA_INSTANT", "REVOLUT"}, 14'800'000'000},  // 148.00 EUR
  };
}

DemoFeed::DemoFeed(const DemoConfig& config)
    : config_(config),
      topics_(schema::topicSet()),
      random_(config.seed != 0 ? config.seed
                               : (std::uint64_t{std::random_device{}()} << 32) ^ std::random_device{}()) {
  config_.ticks_per_block = std::max<std::uint32_t>(config_.ticks_per_block, 1);
  config_.status_every_blocks = std::max<std::uint32_t>(config_.status_every_blocks, 1);
  config_.txs_per_block = std::max(config_.txs_per_block, 0.0);
  config_.start_height = std::max<std::uint64_t>(config_.start_height, 1);
  std::erase_if(config_.markets, [](const DemoMarket& m) {
    return m.market.empty() || m.payment_methods.empty() || m.start_price_rate <= 0;
  });
  if (config_.markets.empty()) config_.markets = defaultDemoMarkets();
  height_ = config_.start_height - 1;
  tip_hash_ = randomHex(64);
  for (const auto& market : config_.markets) prices_.push_back(static_cast<double>(market.start_price_rate));
}

Result<std::vector<Event>> DemoFeed::tick(std::int64_t now_ms) {
  std::vector<Event> out;
  const bool block_due = ticks_ % config_.ticks_per_block == 0;
  ++ticks_;
  if (block_due) {
    if (auto r = emitBlock(out, now_ms); !r) return r.error();
    const std::uint64_t blocks = height_ - config_.start_height + 1;
    if (blocks == 1 || blocks % config_.status_every_blocks == 0) {
      if (auto r = emitStatus(out, now_ms); !r) return r.error();
    }
  }
  if (auto r = emitMempool(out, now_ms); !r) return r.error();
  if (auto r = emitOffers(out, now_ms); !r) return r.error();
  if (auto r = emitPrices(out, now_ms); !r) return r.error();
  return out;
}

// Integers go into the JSON as int64, the kind a parser produces, so the catalog's type checks see
// exactly what a publisher's text would give them.
Result<void> DemoFeed::emit(std::vector<Event>& out, std::string_view topic, boost::json::object data,
                            std::int64_t now_ms) {
  boost::json::object event;
  event["topic"] = topic;
  event["data"] = std::move(data);
  auto parsed = schema::eventFromJson(event, topics_, limits_, now_ms, topic);
  if (!parsed) return parsed.error();
  out.push_back(std::move(*parsed));
  return {};
}

Result<void> DemoFeed::emitBlock(std::vector<Event>& out, std::int64_t now_ms) {
  ++height_;
  std::string hash = randomHex(64);
  boost::json::array tx_ids;
  for (auto& txid : mempool_) tx_ids.emplace_back(txid);
  boost::json::object data;
  data["height"] = static_cast<std::int64_t>(height_);
  data["hash"] = hash;
  data["prev_hash"] = tip_hash_;
  data["timestamp_ms"] = now_ms;
  data["tx_count"] = static_cast<std::int64_t>(mempool_.size());
  data["tx_ids"] = std::move(tx_ids);
  mempool_.clear();
  tip_hash_ = std::move(hash);
  return emit(out, "chain.block", std::move(data), now_ms);
}

Result<void> DemoFeed::emitStatus(std::vector<Event>& out, std::int64_t now_ms) {
  peers_ =
      std::clamp(peers_ + std::uniform_int_distribution<std::int64_t>(-1, 1)(random_), kMinPeers, kMaxPeers);
  boost::json::object data;
  data["version"] = "herald-demo";
  data["network"] = "demo";
  data["local_height"] = static_cast<std::int64_t>(height_);
  data["global_height"] = static_cast<std::int64_t>(height_);
  data["connected"] = true;
  data["syncing"] = false;
  data["peers"] = peers_;
  return emit(out, "node.status", std::move(data), now_ms);
}

Result<void> DemoFeed::emitMempool(std::vector<Event>& out, std::int64_t now_ms) {
  const double mean = config_.txs_per_block / config_.ticks_per_block;
  const auto count = mean > 0 ? std::poisson_distribution<int>(mean)(random_) : 0;
  for (int i = 0; i < count; ++i) {
    std::string txid = randomHex(64);
    boost::json::object data;
    data["txid"] = txid;
    data["fee"] = std::uniform_int_distribution<std::int64_t>(kMinFee, kMaxFee)(random_);
    data["size"] = std::uniform_int_distribution<std::int64_t>(kMinTxBytes, kMaxTxBytes)(random_);
    mempool_.push_back(std::move(txid));
    if (auto r = emit(out, "mempool.tx", std::move(data), now_ms); !r) return r;
  }
  return {};
}

Result<void> DemoFeed::emitOffers(std::vector<Event>& out, std::int64_t now_ms) {
  std::uniform_real_distribution<double> chance(0.0, 1.0);
  // Removal gets likelier as the book fills: it settles near half of max_open_offers.
  const double fullness = config_.max_open_offers == 0 ? 1.0
                                                       : static_cast<double>(offers_.size()) /
                                                             static_cast<double>(config_.max_open_offers);
  if (!offers_.empty() && chance(random_) < fullness) {
    const auto index = std::uniform_int_distribution<std::size_t>(0, offers_.size() - 1)(random_);
    Offer removed = std::move(offers_[index]);
    offers_.erase(offers_.begin() + static_cast<std::ptrdiff_t>(index));
    if (auto r = emitOffer(out, removed, "removed", now_ms); !r) return r;
  }
  if (offers_.size() < config_.max_open_offers && chance(random_) < kAddOfferChance) {
    Offer offer;
    offer.offer_id = randomUuid();
    offer.market = std::uniform_int_distribution<std::size_t>(0, config_.markets.size() - 1)(random_);
    const auto& market = config_.markets[offer.market];
    offer.direction = chance(random_) < 0.5 ? "buy" : "sell";
    offer.payment_method = market.payment_methods[std::uniform_int_distribution<std::size_t>(
        0, market.payment_methods.size() - 1)(random_)];
    const double spread = std::uniform_real_distribution<double>(-kOfferSpread, kOfferSpread)(random_);
    offer.price_rate = std::max<std::int64_t>(1, std::llround(prices_[offer.market] * (1.0 + spread)));
    offer.amount =
        std::uniform_int_distribution<std::int64_t>(kMinAmountSteps, kMaxAmountSteps)(random_) * kAmountStep;
    offers_.push_back(offer);
    if (auto r = emitOffer(out, offer, "added", now_ms); !r) return r;
  }
  return {};
}

Result<void> DemoFeed::emitOffer(std::vector<Event>& out, const Offer& offer, std::string_view action,
                                 std::int64_t now_ms) {
  const auto& market = config_.markets[offer.market];
  boost::json::object data;
  data["offer_id"] = offer.offer_id;
  data["action"] = action;
  data["market"] = market.market;
  data["direction"] = offer.direction;
  data["price_rate"] = offer.price_rate;
  data["amount"] = offer.amount;
  data["currency"] = market.currency;
  data["payment_method"] = offer.payment_method;
  return emit(out, "dex.offer", std::move(data), now_ms);
}

Result<void> DemoFeed::emitPrices(std::vector<Event>& out, std::int64_t now_ms) {
  std::normal_distribution<double> step(0.0, kPriceStep);
  for (std::size_t i = 0; i < config_.markets.size(); ++i) {
    const double start = static_cast<double>(config_.markets[i].start_price_rate);
    prices_[i] = std::clamp(prices_[i] * std::exp(step(random_)), start / kPriceBand, start * kPriceBand);
    boost::json::object data;
    data["market"] = config_.markets[i].market;
    data["price_rate"] = std::max<std::int64_t>(1, std::llround(prices_[i]));
    data["timestamp_ms"] = now_ms;
    if (auto r = emit(out, "dex.price", std::move(data), now_ms); !r) return r;
  }
  return {};
}

std::string DemoFeed::randomHex(std::size_t digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(digits);
  std::uint64_t bits = 0;
  for (std::size_t i = 0; i < digits; ++i) {
    if (i % 16 == 0) bits = random_();
    out.push_back(kHex[bits & 0xf]);
    bits >>= 4;
  }
  return out;
}

// A version-4 UUID, the form DEX offer ids usually take.
std::string DemoFeed::randomUuid() {
  std::string hex = randomHex(32);
  hex[12] = '4';
  hex[16] = "89ab"[hex[16] % 4];
  return hex.substr(0, 8) + '-' + hex.substr(8, 4) + '-' + hex.substr(12, 4) + '-' + hex.substr(16, 4) + '-' +
         hex.substr(20);
}

}  // namespace herald::sources
