#include "sources/source_factory.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

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

// A definition file in the test's temporary directory.
std::string writeDefinition(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::path(::testing::TempDir()) / name;
  std::ofstream(path) << text;
  return path.string();
}

TEST(MakeSources, BuildsAnHttpPollSourceFromItsDefinitionFile) {
  const auto path = writeDefinition("signum.json", R"({"url": "http://127.0.0.1:8125/burst?requestType=getBlockchainStatus",
    "topic": "signum.status", "fields": {"height": "/numberOfBlocks"}, "key": "/lastBlock"})");
  auto sources = makeSources({{"http-poll:name=signum,config=" + path + ",interval_ms=500,url=http://127.0.0.1:9/x"},
                              {"signum.status"}});
  ASSERT_TRUE(sources) << sources.error().message;
  EXPECT_EQ((*sources)[0]->health().name, "signum");

  auto undeclared = makeSources({{"http-poll:config=" + path}, {}});
  ASSERT_FALSE(undeclared);
  EXPECT_NE(undeclared.error().message.find("source 1 (http-poll): config '" + path +
                                            "': topic 'signum.status' is neither a catalog topic"),
            std::string::npos)
      << undeclared.error().message;

  auto missing = makeSources({{"http-poll:config=/nonexistent/def.json"}, {}});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("config: cannot read '/nonexistent/def.json'"), std::string::npos);

  const auto broken = writeDefinition("broken.json", R"({"url": )");
  auto not_json = makeSources({{"http-poll:config=" + broken}, {}});
  ASSERT_FALSE(not_json);
  EXPECT_NE(not_json.error().message.find("is not valid JSON"), std::string::npos) << not_json.error().message;

  auto typo = makeSources({{"http-poll:config=" + path + ",intervall_ms=5"}, {"signum.status"}});
  ASSERT_FALSE(typo);
  EXPECT_NE(typo.error().message.find("unknown key 'intervall_ms'"), std::string::npos);
  EXPECT_FALSE(makeSources({{"http-poll:config=" + path + ",interval_ms=1"}, {"signum.status"}}));
}

TEST(MakeSources, BuildsABitcoindSourceOnDeclaredTopics) {
  auto ok = makeSources({{"bitcoind:zmq=tcp://127.0.0.1:28332,txs=rawtx"}, {"bitcoind.block", "bitcoind.tx"}});
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ((*ok)[0]->health().name, "bitcoind");

  auto undeclared = makeSources({{"bitcoind:zmq=tcp://127.0.0.1:28332"}, {"bitcoind.block"}});
  ASSERT_FALSE(undeclared);
  EXPECT_NE(undeclared.error().message.find("tx_topic: topic 'bitcoind.tx' is not declared; add it to [topics] "
                                            "extra (--extra-topic bitcoind.tx)"),
            std::string::npos)
      << undeclared.error().message;
  EXPECT_TRUE(makeSources({{"bitcoind:zmq=tcp://127.0.0.1:28332,txs=none"}, {"bitcoind.block"}}));

  auto bad_txs = makeSources({{"bitcoind:zmq=tcp://127.0.0.1:28332,txs=rawblock"}, {"bitcoind.block", "bitcoind.tx"}});
  ASSERT_FALSE(bad_txs);
  EXPECT_NE(bad_txs.error().message.find("txs: expected hashtx, rawtx or none"), std::string::npos);
  EXPECT_FALSE(makeSources({{"bitcoind:txs=rawtx"}, {"bitcoind.block", "bitcoind.tx"}}));
  EXPECT_FALSE(makeSources({{"bitcoind:zmq=http://127.0.0.1:1"}, {"bitcoind.block", "bitcoind.tx"}}));
  EXPECT_FALSE(makeSources({{"bitcoind:zmq=tcp://127.0.0.1:1,blocks=false,txs=none"}, {}}));
}

}  // namespace
}  // namespace herald::sources
