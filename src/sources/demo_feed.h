// DemoFeed: a seeded, self-consistent imitation of a node and a DEX, one tick at a time: blocks whose
// prev_hash chains, mempool transactions that later appear in a block, an order book of offers that
// are added and removed, a random-walk price per market, and a periodic node status.
//
// Pure: no threads, no clock (the caller passes now_ms), no sink. Every event it returns has been
// through schema::eventFromJson, so the catalog's rules apply to the demo exactly as to a publisher.
// Same seed and same now_ms sequence give the same events (with one standard library build).
#pragma once

#include "core/event.h"
#include "core/result.h"
#include "core/topics.h"
#include "schema/event_json.h"

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace herald::sources {

struct DemoMarket {
  std::string market;                        // "XMR/BTC": base/quote
  std::string currency;                      // the quote currency, what the offer is paid in
  std::vector<std::string> payment_methods;  // non-empty
  std::int64_t start_price_rate = 0;         // quote per base × 10^8
};

// XMR/BTC, XMR/USD, XMR/EUR with the usual payment methods and prices of the right magnitude.
std::vector<DemoMarket> defaultDemoMarkets();

struct DemoConfig {
  std::string name = "demo";  // SourceHealth::name
  std::uint64_t seed = 0;     // 0 = chosen from std::random_device
  // A block every 2 s: lively on a dashboard and in a terminal, yet slow enough to read.
  std::int64_t block_interval_ms = 2000;
  // Mempool, offers and prices move 4 times per block: smooth charts without flooding clients.
  std::uint32_t ticks_per_block = 4;
  // node.status on the first tick and then every 5 blocks: a status that moves without drowning blocks.
  std::uint32_t status_every_blocks = 5;
  double txs_per_block = 6;  // mean mempool transactions per block interval
  // The book never grows without bound: offers are removed more often the fuller it gets, so it
  // hovers around half of this.
  std::size_t max_open_offers = 40;
  std::uint64_t start_height = 1;  // height of the first block emitted
  std::vector<DemoMarket> markets = defaultDemoMarkets();
  // DemoSource only: batches handed to the sink and not yet acknowledged. A slow sink makes the
  // source skip ticks instead of queueing without bound.
  std::size_t max_in_flight = 16;
  std::function<std::int64_t()> now_ms;  // DemoSource only: wall clock; empty = system clock
};

class DemoFeed {
 public:
  // Values that would make no sense (0 ticks per block, no markets) are clamped to the smallest
  // sensible one rather than rejected: the demo is never worth failing a start for.
  explicit DemoFeed(const DemoConfig& config);

  // The events of the next tick, in this order: chain.block (every ticks_per_block ticks, starting
  // with the first), node.status, mempool.tx, dex.offer, dex.price (one per market). Errors only if
  // the catalog rejects an event (a bug, Errc names the field); the feed's state advances anyway.
  Result<std::vector<Event>> tick(std::int64_t now_ms);

  std::uint64_t ticks() const noexcept { return ticks_; }
  // Height of the last block emitted; start_height - 1 before the first.
  std::uint64_t height() const noexcept { return height_; }

 private:
  struct Offer {
    std::string offer_id;
    std::size_t market = 0;
    std::string direction;
    std::string payment_method;
    std::int64_t price_rate = 0;
    std::int64_t amount = 0;
  };

  Result<void> emit(std::vector<Event>& out, std::string_view topic, boost::json::object data,
                    std::int64_t now_ms);
  Result<void> emitBlock(std::vector<Event>& out, std::int64_t now_ms);
  Result<void> emitStatus(std::vector<Event>& out, std::int64_t now_ms);
  Result<void> emitMempool(std::vector<Event>& out, std::int64_t now_ms);
  Result<void> emitOffers(std::vector<Event>& out, std::int64_t now_ms);
  Result<void> emitOffer(std::vector<Event>& out, const Offer& offer, std::string_view action,
                         std::int64_t now_ms);
  Result<void> emitPrices(std::vector<Event>& out, std::int64_t now_ms);
  std::string randomHex(std::size_t digits);
  std::string randomUuid();

  DemoConfig config_;
  TopicSet topics_;
  schema::PublishLimits limits_;
  std::mt19937_64 random_;
  std::uint64_t ticks_ = 0;
  std::uint64_t height_ = 0;
  std::string tip_hash_;
  std::vector<std::string> mempool_;  // txids seen since the last block: the next block's tx_ids
  std::vector<double> prices_;        // per market, price_rate kept fractional so small steps add up
  std::vector<Offer> offers_;
  std::int64_t peers_ = 12;
};

}  // namespace herald::sources
