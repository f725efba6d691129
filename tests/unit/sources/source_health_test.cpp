#include "sources/source_health.h"

#include "sources/http_json_client.h"
#include "sources/monerod_status_poller.h"

#include <gtest/gtest.h>

namespace herald::sources {
namespace {

using std::chrono::milliseconds;

TEST(Backoff, DoublesUpToTheCeilingAndResets) {
  Backoff b(milliseconds(250), milliseconds(1000));
  EXPECT_EQ(b.next(), milliseconds(250));
  EXPECT_EQ(b.next(), milliseconds(500));
  EXPECT_EQ(b.next(), milliseconds(1000));
  EXPECT_EQ(b.next(), milliseconds(1000));
  EXPECT_EQ(b.failures(), 4u);
  b.reset();
  EXPECT_FALSE(b.failing());
  EXPECT_EQ(b.next(), milliseconds(250));
}

TEST(SourceHealthCell, CountersAreSortedAndAccumulate) {
  SourceHealthCell cell("x");
  cell.count("reorgs");
  cell.count("blocks", 3);
  cell.count("blocks", 2);
  const auto h = cell.snapshot();
  ASSERT_EQ(h.counters.size(), 2u);
  EXPECT_EQ(h.counters[0], (std::pair<std::string, std::uint64_t>{"blocks", 5}));
  EXPECT_EQ(h.counters[1].first, "reorgs");
}

TEST(NodeStatusDecider, PublishesChangesAndARefresh) {
  NodeStatusDecider d(60'000);
  monerod::NodeInfo info{"v", "regtest", 10, 10, true, 1, "h10"};
  EXPECT_TRUE(d.shouldPublish(info, true, 0));
  d.published(info, true, 0);
  EXPECT_FALSE(d.shouldPublish(info, true, 1000));
  auto next = info;
  next.top_height = 11;
  EXPECT_TRUE(d.shouldPublish(next, true, 1000));
  EXPECT_TRUE(d.shouldPublish(info, false, 1000));  // the node went away
  EXPECT_TRUE(d.shouldPublish(info, true, 60'000));  // periodic refresh
  d.published(info, false, 2000);
  EXPECT_FALSE(d.shouldPublish(next, false, 3000));  // still away: nothing new to say
  EXPECT_EQ(d.last().top_height, 10u);              // what a disconnected status repeats
}

TEST(HttpUrl, ParsesHostPortAndPath) {
  auto url = parseHttpUrl("http://127.0.0.1:28081");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->host, "127.0.0.1");
  EXPECT_EQ(url->port, 28081);
  EXPECT_EQ(url->target, "/");
  auto v6 = parseHttpUrl("http://[::1]:8080/burst/getBlockchainStatus?x=1");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->target, "/burst/getBlockchainStatus?x=1");
  EXPECT_EQ(v6->text(), "http://[::1]:8080/burst/getBlockchainStatus?x=1");
  EXPECT_EQ(parseHttpUrl("http://node")->port, 80);
  EXPECT_FALSE(parseHttpUrl("https://node"));
  EXPECT_FALSE(parseHttpUrl("tcp://node:1"));
  EXPECT_FALSE(parseHttpUrl("http://:80"));
  EXPECT_FALSE(parseHttpUrl("http://node:0"));
  EXPECT_FALSE(parseHttpUrl("http://node:99999"));
}

TEST(HttpJsonClient, ClosedPortIsUnavailableNotAHang) {
  HttpJsonClient client(milliseconds(2000));
  // Port 1 on loopback: nothing listens there, the connect is refused at once.
  auto reply = client.getJson(*parseHttpUrl("http://127.0.0.1:1/"));
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().code, Errc::unavailable);
}

TEST(HttpJsonClient, AbortFlagEndsARequestAtOnce) {
  std::atomic<bool> abort{true};
  HttpJsonClient client(milliseconds(60'000), &abort);
  auto reply = client.getJson(*parseHttpUrl("http://127.0.0.1:1/"));
  ASSERT_FALSE(reply);
  EXPECT_NE(reply.error().message.find("aborted"), std::string::npos);
}

}  // namespace
}  // namespace herald::sources
