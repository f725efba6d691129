#include "app/cli_publish.h"

#include "schema/catalog.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <unistd.h>

namespace herald::app {
namespace {

namespace json = boost::json;

std::string errorOf(std::string_view line, const TopicSet& topics = schema::topicSet()) {
  auto checked = checkPublishLine(line, 7, topics, schema::PublishLimits{}, 1);
  return checked ? "(no error)" : checked.error().message;
}

TEST(CliPublishTest, ValidLinesComeBackCompact) {
  auto checked = checkPublishLine(R"( { "topic" : "mempool.tx", "data" : {"txid":"ab","fee":1,"size":2} } )",
                                  1, schema::topicSet(), schema::PublishLimits{}, 1);
  ASSERT_TRUE(checked) << checked.error().message;
  EXPECT_EQ(*checked, R"({"topic":"mempool.tx","data":{"txid":"ab","fee":1,"size":2}})");
}

TEST(CliPublishTest, InvalidLinesNameTheLineAndTheField) {
  EXPECT_EQ(errorOf(R"({"topic":"mempool.tx","data":{"txid":"ab","fee":"1","size":2}})"),
            "line 7: data.fee: must be an integer");
  EXPECT_EQ(errorOf(R"({"topic":"mempool.tx","data":{"txid":"ab","size":2}})"),
            "line 7: data.fee: is required");
  EXPECT_EQ(errorOf(R"({"topic":"nope.topic","data":{}})"), "line 7: topic: unknown topic \"nope.topic\"");
  EXPECT_EQ(errorOf("[1]"), "line 7: an event must be a JSON object");
  EXPECT_EQ(errorOf("{\"topic\":").rfind("line 7: not JSON: ", 0), 0U);
}

TEST(CliPublishTest, ExtraTopicsAreAccepted) {
  EXPECT_EQ(errorOf(R"({"topic":"shop.order","data":{"id":1}})", schema::topicSet({"shop.order"})),
            "(no error)");
}

TEST(CliPublishTest, BatchBodyIsAJsonArray) {
  EXPECT_EQ(batchBody({R"({"a":1})", R"({"b":2})"}), R"([{"a":1},{"b":2}])");
  EXPECT_EQ(json::parse(batchBody({R"({"a":1})"})).as_array().size(), 1U);
}

TEST(CliPublishTest, PublishTargetIsUnderTheUrlPath) {
  const auto target = [](std::string_view url) {
    return publishTarget(parseEndpoint(url, "/", false, true).value());
  };
  EXPECT_EQ(target("http://127.0.0.1:8080"), "/api/v1/publish");
  EXPECT_EQ(target("http://127.0.0.1:8080/"), "/api/v1/publish");
  EXPECT_EQ(target("https://example.org/herald/"), "/herald/api/v1/publish");
  EXPECT_EQ(target("http://h/api/v1/publish"), "/api/v1/publish");
  EXPECT_EQ(target("unix:/run/herald.sock"), "/api/v1/publish");
}

// A pipe whose write end the test controls, read through a LineReader.
class Pipe {
 public:
  Pipe() { EXPECT_EQ(::pipe(fds_), 0); }
  ~Pipe() {
    ::close(fds_[0]);
    closeWriter();
  }
  void write(std::string_view text) {
    ASSERT_EQ(::write(fds_[1], text.data(), text.size()), static_cast<ssize_t>(text.size()));
  }
  void closeWriter() {
    if (fds_[1] >= 0) ::close(fds_[1]);
    fds_[1] = -1;
  }
  int reader() const { return fds_[0]; }

 private:
  int fds_[2] = {-1, -1};
};

TEST(CliPublishTest, LineReaderSplitsLinesAndKnowsWhenInputPauses) {
  Pipe pipe;
  LineReader reader(pipe.reader(), 1024);
  EXPECT_FALSE(reader.ready());  // nothing written yet: reading would wait
  pipe.write("one\r\ntwo\nthr");
  EXPECT_TRUE(reader.ready());
  EXPECT_EQ(reader.next().value(), "one");
  EXPECT_TRUE(reader.ready());  // "two" is buffered
  EXPECT_EQ(reader.next().value(), "two");
  EXPECT_FALSE(reader.ready());  // only a partial line, and the pipe is drained
  pipe.write("ee\n");
  EXPECT_EQ(reader.next().value(), "three");
  pipe.write("last");
  pipe.closeWriter();
  EXPECT_TRUE(reader.ready());
  EXPECT_EQ(reader.next().value(), "last");
  EXPECT_EQ(reader.next().value(), std::nullopt);
}

TEST(CliPublishTest, LineReaderRefusesOverlongLines) {
  Pipe pipe;
  LineReader reader(pipe.reader(), 8);
  pipe.write("0123456789\n");
  auto line = reader.next();
  ASSERT_FALSE(line);
  EXPECT_EQ(line.error().code, Errc::too_large);
}

}  // namespace
}  // namespace herald::app
