// RestApi over a real Pipeline and MemoryEventLog: publish acknowledged only once durable (and on
// the worker), history paging and gaps, health, metrics, routing and every error shape.
#include "api/rest_api.h"

#include "bus/pipeline.h"
#include "schema/catalog.h"
#include "store/memory_event_log.h"

#include <boost/json.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

namespace herald::api {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;
using transport::HttpRequest;
using transport::HttpResponse;

constexpr std::uint64_t kEpoch = 0x7d3f0c2a9b1e4f60ull;
constexpr std::int64_t kNow = 1732450000123;
const std::string kToken = "s3cret-token";

// The test thread plays the worker: work posted to it runs only when the test drains the queue, on
// the test thread, as on a real worker's io_context.
class WorkerLoop {
 public:
  void post(std::function<void()> fn) {
    {
      std::lock_guard lock(mutex_);
      tasks_.push_back(std::move(fn));
    }
    cv_.notify_one();
  }

  // Runs posted work until `done()` holds; false after 10 s (a hang, not a timing assumption).
  bool runUntil(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done()) {
      std::unique_lock lock(mutex_);
      if (!cv_.wait_until(lock, deadline, [&] { return !tasks_.empty(); })) return false;
      auto fn = std::move(tasks_.front());
      tasks_.pop_front();
      lock.unlock();
      fn();
    }
    return true;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
};

class RestApiTest : public ::testing::Test {
 protected:
  RestApiTest() { pipeline_.start(); }

  ~RestApiTest() override { pipeline_.stop(); }

  RestApi makeApi(RestConfig config) {
    return RestApi(
        std::move(config), pipeline_, {history0_.get(), history1_.get()},
        [this] { return pipeline_.bounds(); }, metrics_, topics_, [] { return kNow; },
        [this](std::size_t worker, std::function<void()> fn) {
          posted_workers_.push_back(worker);  // only ever called from one thread at a time here
          worker_.post(std::move(fn));
        });
  }

  RestConfig withToken() {
    RestConfig c;
    c.publish_tokens = {"other-token", kToken};
    return c;
  }

  // Sends one request on `worker` and runs the worker until the response arrives.
  HttpResponse send(RestApi& api, HttpRequest request, std::size_t worker = 0) {
    std::optional<HttpResponse> response;
    int calls = 0;
    const auto thread = std::this_thread::get_id();
    api.handle(worker, std::move(request), [&](HttpResponse r) {
      ++calls;
      EXPECT_EQ(std::this_thread::get_id(), thread) << "respond must run on the worker";
      response = std::move(r);
    });
    EXPECT_TRUE(worker_.runUntil([&] { return response.has_value(); })) << "no response";
    EXPECT_EQ(calls, 1);
    return response.value_or(HttpResponse{});
  }

  static HttpRequest get(std::string target) {
    return HttpRequest{"GET", std::move(target), {}, {}, "test", false};
  }

  static HttpRequest post(std::string body, std::string authorization = "Bearer " + kToken) {
    HttpRequest r{"POST", "/api/v1/publish", {}, std::move(body), "test", false};
    if (!authorization.empty()) r.headers.emplace_back("authorization", std::move(authorization));
    return r;
  }

  static json::value body(const HttpResponse& r) { return json::parse(r.body); }

  static std::string header(const HttpResponse& r, std::string_view name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) return v;
    }
    return {};
  }

  static std::string price(int rate, std::string market = "XMR/EUR") {
    return R"({"topic":"dex.price","data":{"market":")" + market + R"(","price_rate":)" +
           std::to_string(rate) + R"(,"timestamp_ms":1}})";
  }

  static std::string block(int height) {
    return R"({"topic":"chain.block","data":{"height":)" + std::to_string(height) +
           R"(,"hash":"h","prev_hash":"p","timestamp_ms":1,"tx_count":0,"tx_ids":[]}})";
  }

  // Publishes through the API and checks it was accepted.
  void publishOk(RestApi& api, const std::string& body_text) {
    const HttpResponse r = send(api, post(body_text));
    ASSERT_EQ(r.status, 200u) << r.body;
  }

  std::string cursor(std::uint64_t seq) const { return Cursor{kEpoch, seq}.toString(); }

  store::MemoryEventLog log_{kEpoch};
  Metrics metrics_;
  bus::Pipeline pipeline_{log_, bus::PipelineConfig{}, metrics_, [](bus::EventBatchPtr) {},
                          [] { return kNow; }};
  WorkerLoop worker_;
  std::unique_ptr<History> history0_ =
      pipeline_.historyFor([this](std::function<void()> fn) { worker_.post(std::move(fn)); });
  std::unique_ptr<History> history1_ =
      pipeline_.historyFor([this](std::function<void()> fn) { worker_.post(std::move(fn)); });
  TopicSet topics_ = schema::topicSet({"acme.alerts"});
  std::vector<std::size_t> posted_workers_;
};

TEST_F(RestApiTest, PublishIsAcknowledgedOnceDurable) {
  RestApi api = makeApi(withToken());
  const HttpResponse r = send(api, post("[" + price(1) + "," + price(2, "XMR/USD") + "]"), /*worker=*/1);
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(body(r),
            json::parse(R"({"accepted":2,"first_seq":1,"last_seq":2,"cursor":")" + cursor(2) + "\"}"));
  EXPECT_THAT(posted_workers_, ::testing::ElementsAre(1u));  // the ack hopped back to the request's worker

  // What was acknowledged is in the log, validated and with attributes derived.
  auto stored = log_.readAfter(Cursor{kEpoch, 0}, "", 10);
  ASSERT_TRUE(stored);
  ASSERT_EQ(stored->events.size(), 2u);
  EXPECT_EQ(stored->events[1]->seq, 2u);
  EXPECT_EQ(stored->events[1]->time_ms, kNow);
  EXPECT_EQ(*stored->events[1]->attribute("market"), std::vector<std::string>{"XMR/USD"});
  EXPECT_EQ(metrics_.events_in.load(), 2u);
}

TEST_F(RestApiTest, SecondPublishContinuesTheSequence) {
  RestApi api = makeApi(withToken());
  publishOk(api, price(1));
  const HttpResponse r = send(api, post(price(2)));
  EXPECT_EQ(body(r).at("first_seq").as_int64(), 2);
  EXPECT_EQ(body(r).at("last_seq").as_int64(), 2);
  EXPECT_EQ(body(r).at("accepted").as_int64(), 1);
}

TEST_F(RestApiTest, PublishDisabledWithoutTokens) {
  RestApi api = makeApi(RestConfig{});
  const HttpResponse r = send(api, post(price(1)));
  EXPECT_EQ(r.status, 403u);
  EXPECT_EQ(body(r).at("error").at("code").as_string(), "forbidden");
  EXPECT_THAT(std::string(body(r).at("error").at("message").as_string()), HasSubstr("publish_tokens"));
  EXPECT_EQ(metrics_.publish_rejected.load(), 1u);
  EXPECT_EQ(log_.bounds().last_seq, 0u);
}

TEST_F(RestApiTest, PublishNeedsAKnownBearerToken) {
  RestApi api = makeApi(withToken());
  HttpResponse r = send(api, post(price(1), ""));
  EXPECT_EQ(r.status, 401u);
  EXPECT_EQ(header(r, "WWW-Authenticate"), "Bearer");
  EXPECT_EQ(body(r).at("error").at("code").as_string(), "unauthorized");

  for (const std::string& auth : std::vector<std::string>{"Bearer wrong", "Bearer " + kToken + "x",
                                                          "Basic " + kToken, kToken, "Bearer "}) {
    r = send(api, post(price(1), auth));
    EXPECT_EQ(r.status, 401u) << auth;
    EXPECT_THAT(header(r, "WWW-Authenticate"), ::testing::StartsWith("Bearer")) << auth;
  }
  EXPECT_EQ(header(send(api, post(price(1), "Bearer wrong")), "WWW-Authenticate"),
            "Bearer error=\"invalid_token\"");
  EXPECT_EQ(log_.bounds().last_seq, 0u);
  EXPECT_EQ(metrics_.publish_rejected.load(), 7u);

  // The scheme is case-insensitive (RFC 7235); any configured token works.
  EXPECT_EQ(send(api, post(price(1), "bearer " + kToken)).status, 200u);
  EXPECT_EQ(send(api, post(price(1), "Bearer other-token")).status, 200u);
}

TEST_F(RestApiTest, BadBodiesAreRefusedAndNothingIsStored) {
  RestApi api = makeApi(withToken());
  struct Case {
    std::string body;
    unsigned status;
    std::string code;
    std::string field;
  };
  const std::vector<Case> cases{
      {"{not json", 400, "parse_error", ""},
      {"[" + price(1) + R"(,{"topic":"dex.price","data":{"market":"m","price_rate":"1","timestamp_ms":1}}])",
       400, "invalid_params", "[1].data.price_rate"},
      {R"({"topic":"chain.blok","data":{}})", 400, "unknown_topic", "topic"},
      {"[]", 400, "invalid_params", ""},
  };
  for (const auto& c : cases) {
    const HttpResponse r = send(api, post(c.body));
    EXPECT_EQ(r.status, c.status) << c.body;
    const json::value b = body(r);
    EXPECT_EQ(b.at("error").at("code").as_string(), c.code) << c.body;
    EXPECT_TRUE(b.at("error").at("message").is_string());
    if (c.field.empty()) {
      EXPECT_FALSE(b.at("error").as_object().contains("field")) << c.body;
    } else {
      EXPECT_EQ(b.at("error").at("field").as_string(), c.field) << c.body;
    }
  }
  EXPECT_EQ(log_.bounds().last_seq, 0u);
  EXPECT_EQ(metrics_.publish_rejected.load(), cases.size());
}

TEST_F(RestApiTest, OverALimitIs413) {
  RestConfig config = withToken();
  config.limits.max_batch = 2;
  RestApi api = makeApi(config);
  const HttpResponse r = send(api, post("[" + price(1) + "," + price(2) + "," + price(3) + "]"));
  EXPECT_EQ(r.status, 413u);
  EXPECT_EQ(body(r).at("error").at("code").as_string(), "too_large");
  EXPECT_THAT(std::string(body(r).at("error").at("message").as_string()), HasSubstr("max_batch 2"));
}

TEST_F(RestApiTest, SinkFailureIs503) {
  RestApi api = makeApi(withToken());
  pipeline_.stop();
  const HttpResponse r = send(api, post(price(1)));
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(body(r).at("error").at("code").as_string(), "unavailable");
  EXPECT_EQ(header(r, "Retry-After"), "1");
}

TEST_F(RestApiTest, HistoryFromTheOldestRetained) {
  RestApi api = makeApi(withToken());
  publishOk(api, "[" + price(1) + "," + block(10) + "," + price(2) + "]");
  const HttpResponse r = send(api, get("/api/v1/events"));
  ASSERT_EQ(r.status, 200u) << r.body;
  const json::value b = body(r);
  const auto& events = b.at("events").as_array();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].at("seq").as_int64(), 1);
  EXPECT_EQ(events[0].at("cursor").as_string(), cursor(1));
  EXPECT_EQ(events[0].at("time_ms").as_int64(), kNow);
  EXPECT_EQ(events[0].at("attributes").at("market").as_string(), "XMR/EUR");
  EXPECT_EQ(events[1].at("topic").as_string(), "chain.block");
  EXPECT_EQ(events[1].at("data").at("height").as_int64(), 10);
  EXPECT_TRUE(b.at("gaps").as_array().empty());
  EXPECT_EQ(b.at("next").as_string(), cursor(3));
  EXPECT_TRUE(b.at("at_head").as_bool());
}

TEST_F(RestApiTest, HistoryByTopicSinceAndLimit) {
  RestApi api = makeApi(withToken());
  publishOk(api, "[" + price(1) + "," + block(10) + "," + price(2) + "," + price(3) + "," + block(11) + "]");

  json::value b = body(send(api, get("/api/v1/events?topic=dex.price&limit=2")));
  ASSERT_EQ(b.at("events").as_array().size(), 2u);
  EXPECT_EQ(b.at("events").at(0).at("seq").as_int64(), 1);
  EXPECT_EQ(b.at("events").at(1).at("seq").as_int64(), 3);
  EXPECT_FALSE(b.at("at_head").as_bool());

  // Continue from `next` (percent-encoded, as a URL library would write it).
  std::string next(b.at("next").as_string());
  next.replace(next.find(':'), 1, "%3A");
  b = body(send(api, get("/api/v1/events?topic=dex.price&limit=2&since=" + next)));
  ASSERT_EQ(b.at("events").as_array().size(), 1u);
  EXPECT_EQ(b.at("events").at(0).at("seq").as_int64(), 4);
  EXPECT_EQ(b.at("events").at(0).at("data").at("price_rate").as_int64(), 3);

  b = body(send(api, get("/api/v1/events?since=" + cursor(4))));
  ASSERT_EQ(b.at("events").as_array().size(), 1u);
  EXPECT_EQ(b.at("events").at(0).at("topic").as_string(), "chain.block");
  EXPECT_TRUE(b.at("at_head").as_bool());
}

TEST_F(RestApiTest, DefaultLimitIsBoundedByTheConfiguredMaximum) {
  RestConfig config = withToken();
  config.max_history_limit = 2;
  RestApi api = makeApi(config);
  publishOk(api, "[" + price(1) + "," + price(2) + "," + price(3) + "]");
  EXPECT_EQ(body(send(api, get("/api/v1/events"))).at("events").as_array().size(), 2u);
  EXPECT_EQ(send(api, get("/api/v1/events?limit=3")).status, 400u);
}

TEST_F(RestApiTest, HistoryReportsGaps) {
  RestApi api = makeApi(withToken());
  publishOk(api, "[" + price(1) + "," + price(2) + "," + price(3) + "]");
  ASSERT_TRUE(log_.applyRetention(RetentionPolicy{.max_events = 1, .max_age_ms = 0}, kNow));

  json::value b = body(send(api, get("/api/v1/events?since=" + cursor(0))));
  EXPECT_EQ(b.at("gaps"), json::parse(R"([{"epoch":"7d3f0c2a9b1e4f60","missed_from":1,"missed_to":2,)"
                                      R"("reason":"history_expired"}])"));
  ASSERT_EQ(b.at("events").as_array().size(), 1u);
  EXPECT_EQ(b.at("events").at(0).at("seq").as_int64(), 3);

  // A cursor from another epoch: all of that history is gone, and so are the current epoch's
  // expired events; both are reported, in order.
  b = body(send(api, get("/api/v1/events?since=00000000000000aa:7")));
  EXPECT_EQ(b.at("gaps"), json::parse(R"([{"epoch":"00000000000000aa","missed_from":8,"missed_to":null,)"
                                      R"("reason":"epoch_changed"},)"
                                      R"({"epoch":"7d3f0c2a9b1e4f60","missed_from":1,"missed_to":2,)"
                                      R"("reason":"history_expired"}])"));
  EXPECT_EQ(b.at("events").at(0).at("cursor").as_string(), cursor(3));  // events are in the current epoch
}

TEST_F(RestApiTest, DefaultSinceStartsAtTheOldestRetained) {
  RestApi api = makeApi(withToken());
  publishOk(api, "[" + price(1) + "," + price(2) + "," + price(3) + "]");
  ASSERT_TRUE(log_.applyRetention(RetentionPolicy{.max_events = 2, .max_age_ms = 0}, kNow));
  const json::value b = body(send(api, get("/api/v1/events")));
  EXPECT_TRUE(b.at("gaps").as_array().empty());  // nothing was asked for that is gone
  EXPECT_EQ(b.at("events").at(0).at("seq").as_int64(), 2);
}

TEST_F(RestApiTest, HistoryParameterErrorsNameTheParameter) {
  RestApi api = makeApi(withToken());
  publishOk(api, price(1));
  struct Case {
    std::string query;
    std::string code;
    std::string field;
  };
  const std::vector<Case> cases{
      {"since=42", "invalid_params", "since"},
      {"since=" + cursor(1) + "x", "invalid_params", "since"},
      {"since=" + cursor(9), "cursor_ahead", "since"},
      {"limit=0", "invalid_params", "limit"},
      {"limit=-1", "invalid_params", "limit"},
      {"limit=abc", "invalid_params", "limit"},
      {"limit=1001", "invalid_params", "limit"},
      {"limit=", "invalid_params", "limit"},
      {"topic=chain.blok", "unknown_topic", "topic"},
      {"cursor=" + cursor(0), "invalid_params", "cursor"},
      {"limit=1&limit=2", "invalid_params", "limit"},
  };
  for (const auto& c : cases) {
    const HttpResponse r = send(api, get("/api/v1/events?" + c.query));
    EXPECT_EQ(r.status, 400u) << c.query;
    const json::value b = body(r);
    EXPECT_EQ(b.at("error").at("code").as_string(), c.code) << c.query;
    EXPECT_EQ(b.at("error").at("field").as_string(), c.field) << c.query;
  }
  EXPECT_EQ(send(api, get("/api/v1/events?since=%zz")).status, 400u);
  EXPECT_EQ(send(api, get("/api/v1/events?since=%4")).status, 400u);
}

TEST_F(RestApiTest, OperatorTopicsAreReadable) {
  RestApi api = makeApi(withToken());
  publishOk(api, R"({"topic":"acme.alerts","data":{"n":1}})");
  const json::value b = body(send(api, get("/api/v1/events?topic=acme.alerts")));
  ASSERT_EQ(b.at("events").as_array().size(), 1u);
  EXPECT_EQ(b.at("events").at(0).at("data"), json::parse(R"({"n":1})"));
}

TEST_F(RestApiTest, Healthz) {
  RestApi api = makeApi(withToken());
  publishOk(api, "[" + price(1) + "," + price(2) + "]");
  const HttpResponse r = send(api, get("/healthz"));
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(body(r),
            json::parse(R"({"status":"ok","epoch":"7d3f0c2a9b1e4f60","head":")" + cursor(2) + "\"}"));
}

TEST_F(RestApiTest, MetricsArePrometheusText) {
  RestApi api = makeApi(withToken());
  publishOk(api, "[" + price(1) + "," + price(2) + "]");
  const HttpResponse r = send(api, get("/metrics"));
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4");
  EXPECT_THAT(r.body, HasSubstr("\nherald_events_in_total 2\n"));
  EXPECT_THAT(r.body, HasSubstr("# TYPE herald_publish_to_write_seconds histogram\n"));
}

TEST_F(RestApiTest, UnknownPathIs404AndWrongMethodIs405) {
  RestApi api = makeApi(withToken());
  HttpResponse r = send(api, get("/api/v1/nothing"));
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(body(r).at("error").at("code").as_string(), "unknown_method");
  EXPECT_EQ(send(api, get("/healthz/")).status, 404u);

  r = send(api, get("/api/v1/publish"));
  EXPECT_EQ(r.status, 405u);
  EXPECT_EQ(header(r, "Allow"), "POST");
  HttpRequest del = get("/api/v1/events?limit=1");
  del.method = "DELETE";
  r = send(api, del);
  EXPECT_EQ(r.status, 405u);
  EXPECT_EQ(header(r, "Allow"), "GET");
  r = send(api, HttpRequest{"POST", "/metrics", {}, {}, "test", false});
  EXPECT_EQ(r.status, 405u);
  EXPECT_EQ(header(r, "Allow"), "GET");
}

TEST_F(RestApiTest, StatusTable) {
  EXPECT_EQ(RestApi::httpStatus(Errc::parse_error), 400u);
  EXPECT_EQ(RestApi::httpStatus(Errc::invalid_params), 400u);
  EXPECT_EQ(RestApi::httpStatus(Errc::unknown_topic), 400u);
  EXPECT_EQ(RestApi::httpStatus(Errc::cursor_ahead), 400u);
  EXPECT_EQ(RestApi::httpStatus(Errc::unauthorized), 401u);
  EXPECT_EQ(RestApi::httpStatus(Errc::forbidden), 403u);
  EXPECT_EQ(RestApi::httpStatus(Errc::unknown_method), 404u);
  EXPECT_EQ(RestApi::httpStatus(Errc::too_large), 413u);
  EXPECT_EQ(RestApi::httpStatus(Errc::rate_limited), 429u);
  EXPECT_EQ(RestApi::httpStatus(Errc::internal), 500u);
  EXPECT_EQ(RestApi::httpStatus(Errc::unavailable), 503u);
}

TEST(ErrorBodyTest, Shape) {
  EXPECT_EQ(json::parse(errorBody(Error::make(Errc::invalid_params, "limit \"x\"", "limit"))),
            json::parse(R"({"error":{"code":"invalid_params","message":"limit \"x\"","field":"limit"}})"));
  EXPECT_EQ(json::parse(errorBody(Error::make(Errc::internal, "m"))),
            json::parse(R"({"error":{"code":"internal","message":"m"}})"));
}

TEST_F(RestApiTest, HealthzListsSourcesAndIsDegradedWhenOneFails) {
  RestConfig config = withToken();
  std::vector<sources::SourceHealth> list(2);
  list[0].name = "monerod";
  list[0].state = sources::SourceState::ok;
  list[0].last_event_ms = kNow - 1500;
  list[0].counters = {{"blocks", 12}, {"reorgs", 1}};
  list[1].name = "signum";
  list[1].state = sources::SourceState::down;
  list[1].detail = "GET http://127.0.0.1:9/burst: connect failed";
  config.source_health = [&list] { return list; };
  RestApi api = makeApi(std::move(config));

  HttpResponse r = send(api, get("/healthz"));
  EXPECT_EQ(r.status, 200u) << "a failing upstream is reported, not a reason to take the gateway out";
  json::value b = body(r);
  EXPECT_EQ(b.at("status"), "degraded");
  EXPECT_EQ(b.at("sources"), json::parse(R"([
    {"name":"monerod","state":"ok","detail":"","last_event_ms":1732449998623,"counters":{"blocks":12,"reorgs":1},
     "last_event_age_ms":1500},
    {"name":"signum","state":"down","detail":"GET http://127.0.0.1:9/burst: connect failed","last_event_ms":0,
     "counters":{}}])"));

  list[1].state = sources::SourceState::ok;
  list[1].detail.clear();
  EXPECT_EQ(body(send(api, get("/healthz"))).at("status"), "ok");

  r = send(api, get("/metrics"));
  EXPECT_NE(r.body.find("herald_source_up{source=\"monerod\"} 1\n"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("herald_source_events_total{source=\"monerod\",kind=\"blocks\"} 12\n"), std::string::npos);
  EXPECT_NE(r.body.find("herald_connections "), std::string::npos) << "the gateway's own metrics stay";
}

}  // namespace
}  // namespace herald::api
