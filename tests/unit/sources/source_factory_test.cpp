#include "sources/source_factory.h"

#include <gtest/gtest.h>

namespace herald::sources {
namespace {

TEST(SourceSpec, ParsesKindAndOptionsInOrder) {
  auto spec = parseSourceSpec("monerod:zmq=tcp://127.0.0.1:1,zmq=tcp://127.0.0.1:2,rpc=http://127.0.0.1:3");
  ASSERT_TRUE(spec) << spec.error().message;
  EXPECT_EQ(spec->kind, "monerod");
  ASSERT_EQ(spec->options.size(), 3u);
  EXPECT_EQ(spec->options[1].second, "tcp://127.0.0.1:2");
  EXPECT_EQ(spec->options[2].first, "rpc");
}

TEST(SourceSpec, RefusesShapesThatAreNotSpecs) {
  EXPECT_FALSE(parseSourceSpec("monerod"));
  EXPECT_FALSE(parseSourceSpec(":rpc=x"));
  EXPECT_FALSE(parseSourceSpec("monerod:rpc"));
  EXPECT_FALSE(parseSourceSpec("Monerod:rpc=x"));
}

TEST(MakeSources, BuildsAMonerodSource) {
  auto sources = makeSources({{"monerod:zmq=tcp://127.0.0.1:28083,rpc=http://127.0.0.1:28081"}, {}});
  ASSERT_TRUE(sources) << sources.error().message;
  ASSERT_EQ(sources->size(), 1u);
  EXPECT_EQ((*sources)[0]->health().name, "monerod");
  EXPECT_EQ((*sources)[0]->health().state, SourceState::down);
}

TEST(MakeSources, ErrorsNameTheSourceAndTheKey) {
  auto unknown_kind = makeSources({{"moneroj:rpc=http://x"}, {}});
  ASSERT_FALSE(unknown_kind);
  EXPECT_NE(unknown_kind.error().message.find("source 1"), std::string::npos);
  EXPECT_NE(unknown_kind.error().message.find("moneroj"), std::string::npos);

  auto typo = makeSources({{"monerod:rpc=http://127.0.0.1:1,zmg=tcp://127.0.0.1:2"}, {}});
  ASSERT_FALSE(typo);
  EXPECT_NE(typo.error().message.find("unknown key 'zmg'"), std::string::npos);

  auto no_rpc = makeSources({{"monerod:zmq=tcp://127.0.0.1:2"}, {}});
  ASSERT_FALSE(no_rpc);
  EXPECT_NE(no_rpc.error().message.find("rpc is required"), std::string::npos);

  auto https = makeSources({{"monerod:rpc=https://127.0.0.1:1"}, {}});
  ASSERT_FALSE(https);
  EXPECT_NE(https.error().message.find("https"), std::string::npos);

  auto bounds = makeSources({{"monerod:rpc=http://127.0.0.1:1,probe_interval_ms=1"}, {}});
  ASSERT_FALSE(bounds);
  EXPECT_NE(bounds.error().message.find("probe_interval_ms"), std::string::npos);

  auto twice = makeSources({{"monerod:rpc=http://127.0.0.1:1", "monerod:rpc=http://127.0.0.1:2"}, {}});
  ASSERT_FALSE(twice);
  EXPECT_NE(twice.error().message.find("source 2"), std::string::npos);
  EXPECT_TRUE(makeSources({{"monerod:rpc=http://127.0.0.1:1", "monerod:rpc=http://127.0.0.1:2,name=b"}, {}}));
}

}  // namespace
}  // namespace herald::sources
