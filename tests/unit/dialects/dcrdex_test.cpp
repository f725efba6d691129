// The dcrdex dialect: the seed's examples as conformance cases, connect authentication (with the
// independent signer's vector from dcrdex_auth_test.cpp), the error codes, and the market feeds.
#include "dialects/dcrdex.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "core/subscription_index.h"

namespace herald::dialects {
namespace {

namespace json = boost::json;
using namespace dcrdex_code;

// The independent vector (see dcrdex_auth_test.cpp for the command that made it).
constexpr std::string_view kSecret = "467bab094fd0186fd766d77095a53d98cc29f07a0d4abb327df69bc99c054bcc";
constexpr std::string_view kPublicKey = "0205a652a97e5f13a9f962b7f397a4ff56592de6e03fa831514455ce072efcd16b";
constexpr std::string_view kAccountId = "376032b7949644390633912921d7f2086aaf3e253eaf20c559af40e77dffce3d";
constexpr std::int64_t kTimestamp = 1732450000000;
constexpr std::string_view kVectorSignature =
    "3044022065211c04b462a3b78ab79b1832f781413a4deb667b31fa91827d75154999e9ee02203bc28d3b0682d22caefc8db4eea2"
    "bb00de67acb28145735d1856726a6c44e4a6";
// A fixed gateway key keeps responses reproducible.
constexpr std::string_view kGatewayKey = "0101010101010101010101010101010101010101010101010101010101010101";

DcrdexConfig config() {
  DcrdexConfig c;
  c.accounts.emplace(std::string(kAccountId), std::string(kPublicKey));
  c.gateway_key = std::string(kGatewayKey);
  c.markets = {"dcr_btc", "xmr_btc"};
  return c;
}

std::unique_ptr<Dcrdex> makeDialect(const DcrdexConfig& c = config()) {
  auto made = Dcrdex::make(c);
  EXPECT_TRUE(made) << (made ? "" : made.error().message);
  return made ? std::move(*made) : nullptr;
}

// Signs a connect with the test account's key: the vector pins the convention, this makes more
// timestamps for replay and window tests.
std::string signedConnect(std::uint64_t id, std::uint64_t timestamp, std::uint16_t apiver = 1) {
  const dcrdex::Secp256k1 secp;
  dcrdex::SecretKey secret{};
  const auto s = dcrdex::fromHex(kSecret).value();
  std::copy(s.begin(), s.end(), secret.begin());
  dcrdex::AccountId account{};
  const auto a = dcrdex::fromHex(kAccountId).value();
  std::copy(a.begin(), a.end(), account.begin());
  const auto sig = secp.sign(secret, dcrdex::connectMessage(account, apiver, timestamp));
  return R"({"type":1,"id":)" + std::to_string(id) + R"(,"route":"connect","payload":{"accountid":")" +
         std::string(kAccountId) + R"(","apiver":)" + std::to_string(apiver) + R"(,"timestamp":)" +
         std::to_string(timestamp) + R"(,"sig":")" + dcrdex::toHex(sig) + R"("}})";
}

std::string vectorConnect(std::uint64_t id) {
  return R"({"type":1,"id":)" + std::to_string(id) + R"(,"route":"connect","payload":{"accountid":")" +
         std::string(kAccountId) + R"(","apiver":1,"timestamp":)" + std::to_string(kTimestamp) +
         R"(,"sig":")" + std::string(kVectorSignature) + R"("}})";
}

class DcrdexTest : public ::testing::Test {
 protected:
  Decoded decode(std::string_view text, std::int64_t now_ms = kTimestamp, DialectState* state = nullptr) {
    DecodeContext context;
    context.now_ms = now_ms;
    return dialect->decode(text, false, state != nullptr ? *state : *this->state, context);
  }

  // The dcrdex code a client sees for a decoded message that is a rejection or an answered error.
  int codeOf(const Decoded& decoded) {
    if (const auto* r = std::get_if<Rejection>(&decoded)) return Dcrdex::errorCode(r->error.code);
    if (const auto* a = std::get_if<Answer>(&decoded)) {
      if (a->frames.empty()) return 0;  // commands only (unsub_orderbook)
      const json::value v = json::parse(a->frames.at(0)->bytes);
      const auto& payload = v.at("payload").as_object();
      if (payload.contains("error") && !payload.at("error").is_null()) {
        return static_cast<int>(payload.at("error").at("code").to_number<std::int64_t>());
      }
      return 0;
    }
    return -1;
  }

  std::string wire(const Decoded& decoded) {
    if (const auto* r = std::get_if<Rejection>(&decoded)) {
      return dialect->encodeReply(ErrorReply{r->id, r->error}, *state)->bytes;
    }
    if (const auto* a = std::get_if<Answer>(&decoded)) return a->frames.at(0)->bytes;
    return {};
  }

  std::unique_ptr<Dcrdex> dialect = makeDialect();
  std::unique_ptr<DialectState> state = dialect->newState();
};

// --- the seed's examples ----------------------------------------------------------------------

TEST_F(DcrdexTest, SeedExampleRequestAsPrintedIsNotJson) {
  // The seed prints this example without the ':' after "route": as bytes it is not JSON.
  const auto d = decode(R"({ "type": 1, "id": 123, "route" "sendnum", "payload": 5 })");
  EXPECT_EQ(codeOf(d), kRPCParseError);
  EXPECT_EQ(json::parse(wire(d)), json::parse(R"({"type":2,"payload":{"result":null,"error":{"code":1,
      "message":")" + std::get<Rejection>(d).error.message +
                                              R"("}}})"));
}

TEST_F(DcrdexTest, SeedExampleRequestIsARequestForAnUnknownRoute) {
  const auto d = decode(R"({ "type": 1, "id": 123, "route": "sendnum", "payload": 5 })");
  ASSERT_TRUE(std::holds_alternative<Rejection>(d));
  EXPECT_EQ(std::get<Rejection>(d).id, "123");
  EXPECT_EQ(codeOf(d), kRPCUnknownRoute);
  const json::value reply = json::parse(wire(d));
  EXPECT_EQ(reply.at("type"), 2);
  EXPECT_EQ(reply.at("id"), 123);
  EXPECT_TRUE(reply.at("payload").at("result").is_null());
  EXPECT_EQ(reply.at("payload").at("error").at("code"), 2);
  EXPECT_EQ(reply.at("payload").at("error").at("message"), "unknown route 'sendnum'");
}

TEST_F(DcrdexTest, SeedExampleResponseShapeIsWhatTheGatewaySends) {
  // {"type": 2, "id": 123, "payload": {"result": true}}: the answer to unsub_orderbook.
  ASSERT_TRUE(std::holds_alternative<Answer>(decode(vectorConnect(1))));
  ASSERT_TRUE(std::holds_alternative<Command>(
      decode(R"({"type":1,"id":7,"route":"orderbook","payload":{"base":42,"quote":0}})")));
  dialect->encodeReply(SubscribedReply{"7", "s1", "dex.offer", Cursor{1, 10}, {}}, *state);
  const auto d = decode(R"({"type":1,"id":123,"route":"unsub_orderbook","payload":{"marketid":"dcr_btc"}})");
  ASSERT_TRUE(std::holds_alternative<Answer>(d));
  const auto frame = dialect->encodeReply(UnsubscribedReply{"123", "s1"}, *state);
  EXPECT_EQ(frame->bytes, R"({"type":2,"id":123,"payload":{"result":true}})");
  EXPECT_EQ(json::parse(frame->bytes),
            json::parse(R"({ "type": 2, "id": 123, "payload": { "result": true } })"));
}

TEST_F(DcrdexTest, SeedExampleResponseFromAClientHasNothingToAnswer) {
  const auto d = decode(R"({ "type": 2, "id": 123, "payload": { "result": true } })");
  EXPECT_EQ(codeOf(d), kUnknownMessageType);
  EXPECT_EQ(std::get<Rejection>(d).id, "123");
}

TEST_F(DcrdexTest, SeedExampleNotificationFromAClient) {
  // As printed (no ',' before "payload") it is not JSON; written correctly it is a notification,
  // which a client may not send.
  EXPECT_EQ(codeOf(decode(R"({ "type": 3, "route": "notifynums" "payload": [1, 5, 3, 9] })")),
            kRPCParseError);
  const auto d = decode(R"({ "type": 3, "route": "notifynums", "payload": [1, 5, 3, 9] })");
  EXPECT_EQ(codeOf(d), kUnknownMessageType);
  EXPECT_FALSE(json::parse(wire(d)).as_object().contains("id"));
}

TEST_F(DcrdexTest, SeedNotificationShapeIsWhatTheGatewaySends) {
  Event event{"dex.price",
              42,
              1732450002500,
              {{"market", {"DCR/BTC"}}},
              R"({"market":"DCR/BTC","price_rate":100000,"timestamp_ms":1732450002000})"};
  Delivery delivery;
  delivery.tag = "price_feed";
  const auto frame = dialect->encodeEvent(event, "s1", Cursor{1, 42}, delivery, NodeView{});
  const json::value v = json::parse(frame->bytes);
  EXPECT_EQ(v.at("type"), 3);
  EXPECT_EQ(v.at("route"), "price_update");
  EXPECT_FALSE(v.as_object().contains("id"));
  EXPECT_TRUE(v.at("payload").is_object());
}

// --- message-level errors: each its own code ----------------------------------------------------

TEST_F(DcrdexTest, MissingIdUnknownRouteAndBadPayloadHaveDistinctCodes) {
  const int missing_id = codeOf(decode(R"({"type":1,"route":"orderbook","payload":{"base":42,"quote":0}})"));
  const int zero_id =
      codeOf(decode(R"({"type":1,"id":0,"route":"orderbook","payload":{"base":42,"quote":0}})"));
  const int unknown_route = codeOf(decode(R"({"type":1,"id":5,"route":"nosuch","payload":{}})"));
  const int bad_payload = codeOf(decode(R"({"type":1,"id":6,"route":"orderbook","payload":{"base":"dcr"}})"));
  EXPECT_EQ(missing_id, kRPCParseError);
  EXPECT_EQ(zero_id, kRPCParseError);
  EXPECT_EQ(unknown_route, kRPCUnknownRoute);
  EXPECT_EQ(bad_payload, kInvalidRequestError);
  EXPECT_NE(missing_id, unknown_route);
  EXPECT_NE(missing_id, bad_payload);
  EXPECT_NE(unknown_route, bad_payload);
}

TEST_F(DcrdexTest, MalformedMessages) {
  EXPECT_EQ(codeOf(decode("[1,2]")), kRPCParseError);
  EXPECT_EQ(codeOf(decode(R"({"type":"request","id":1,"route":"connect"})")), kRPCParseError);
  EXPECT_EQ(codeOf(decode(R"({"type":1,"id":-4,"route":"orderbook"})")), kRPCParseError);
  EXPECT_EQ(codeOf(decode(R"({"type":1,"id":1.5,"route":"orderbook"})")), kRPCParseError);
  EXPECT_EQ(codeOf(decode(R"({"type":1,"id":1,"route":7})")), kRPCParseError);
  EXPECT_EQ(codeOf(decode(R"({"id":1,"route":"orderbook"})")), kUnknownMessageType);  // type 0
  EXPECT_EQ(codeOf(decode(R"({"type":9,"id":1,"route":"orderbook"})")), kUnknownMessageType);
  EXPECT_EQ(codeOf(decode(R"({"type":1,"id":1})")), kRPCUnknownRoute);  // no route
  DecodeContext context;
  EXPECT_EQ(codeOf(dialect->decode("{}", true, *state, context)), kRPCParseError);  // binary frame
}

TEST_F(DcrdexTest, LargestIdIsEchoedExactly) {
  const auto d = decode(R"({"type":1,"id":18446744073709551615,"route":"nosuch"})");
  EXPECT_EQ(std::get<Rejection>(d).id, "18446744073709551615");
  EXPECT_NE(wire(d).find(R"("id":18446744073709551615,)"), std::string::npos);
}

TEST_F(DcrdexTest, UnknownMembersAreIgnoredAsTheReferenceDoes) {
  // The reference's Message has a "sig" member; Go's decoder ignores members it does not know.
  const auto d =
      decode(R"({"type":1,"id":3,"route":"orderbook","payload":{"base":42,"quote":0},"sig":"","x":1})");
  EXPECT_TRUE(std::holds_alternative<Command>(d));
}

// --- connect ---------------------------------------------------------------------------------

TEST_F(DcrdexTest, ConnectWithTheIndependentVectorSucceeds) {
  const auto d = decode(vectorConnect(11));
  ASSERT_TRUE(std::holds_alternative<Answer>(d));
  const Answer& answer = std::get<Answer>(d);
  EXPECT_TRUE(answer.commands.empty());
  EXPECT_FALSE(answer.close_code);
  ASSERT_EQ(answer.frames.size(), 1u);
  const json::value v = json::parse(answer.frames[0]->bytes);
  EXPECT_EQ(v.at("type"), 2);
  EXPECT_EQ(v.at("id"), 11);
  const json::object& result = v.at("payload").at("result").as_object();
  EXPECT_EQ(result.at("activematches"), json::array());
  EXPECT_EQ(result.at("activeorderstatuses"), json::array());
  EXPECT_EQ(result.at("score"), 0);
  EXPECT_EQ(result.at("tier"), 1);
  EXPECT_EQ(result.at("activeBonds"), json::array());
  EXPECT_EQ(result.at("legacyFeePaid"), false);
  EXPECT_EQ(result.at("suspended"), false);
  EXPECT_FALSE(v.at("payload").as_object().contains("error"));

  // The gateway signed the same 42 bytes (SHA-256, DER) with its key.
  const dcrdex::Secp256k1 secp;
  const auto sig = dcrdex::fromHex(result.at("sig").as_string());
  ASSERT_TRUE(sig);
  const auto gateway = dcrdex::fromHex(dialect->gatewayPublicKeyHex()).value();
  dcrdex::AccountId account{};
  const auto a = dcrdex::fromHex(kAccountId).value();
  std::copy(a.begin(), a.end(), account.begin());
  EXPECT_TRUE(secp.verify(gateway, dcrdex::connectMessage(account, 1, kTimestamp), *sig));
  EXPECT_FALSE(secp.verify(gateway, dcrdex::connectMessage(account, 1, kTimestamp + 1), *sig));
}

TEST_F(DcrdexTest, ReplayedConnectIsRefusedOnEveryConnection) {
  ASSERT_EQ(codeOf(decode(vectorConnect(1))), 0);
  // The same signed bytes again, on this connection and on another one.
  EXPECT_EQ(codeOf(decode(vectorConnect(2))), kConnectReplayError);
  auto other = dialect->newState();
  EXPECT_EQ(codeOf(decode(vectorConnect(3), kTimestamp, other.get())), kConnectReplayError);
  // An older, correctly signed timestamp is a replay too; a newer one is accepted.
  EXPECT_EQ(codeOf(decode(signedConnect(4, kTimestamp - 1000), kTimestamp, other.get())),
            kConnectReplayError);
  EXPECT_EQ(codeOf(decode(signedConnect(5, kTimestamp + 1), kTimestamp, other.get())), 0);
}

TEST_F(DcrdexTest, TimestampOutsideTheWindowIsRefused) {
  DcrdexConfig c = config();
  c.timestamp_window_ms = 60'000;
  dialect = makeDialect(c);
  state = dialect->newState();
  EXPECT_EQ(codeOf(decode(vectorConnect(1), kTimestamp + 60'001)), kClockRangeError);  // too old
  EXPECT_EQ(codeOf(decode(vectorConnect(2), kTimestamp - 60'001)), kClockRangeError);  // from the future
  // A refused connect records nothing: the same bytes within the window still work.
  EXPECT_EQ(codeOf(decode(vectorConnect(3), kTimestamp + 60'000)), 0);
}

TEST_F(DcrdexTest, ConnectFailures) {
  const std::string account(kAccountId);
  const auto with = [&](std::string_view payload) {
    return codeOf(decode(R"({"type":1,"id":9,"route":"connect","payload":)" + std::string(payload) + "}"));
  };
  // Unregistered account (a valid id of another key).
  EXPECT_EQ(
      with(
          R"({"accountid":"6124aa3017a3d3230df9b67658b5d3ca14791a8ed466661c69256c03b9edc3d1","apiver":1,"timestamp":1732450000000,"sig":"3006020101020101"})"),
      kAccountNotFoundError);
  EXPECT_EQ(with(R"({"accountid":"abcd","apiver":1,"timestamp":1732450000000,"sig":"00"})"),
            kAuthenticationError);
  EXPECT_EQ(with(R"({"accountid":")" + account + R"(","apiver":7,"timestamp":1732450000000,"sig":")" +
                 std::string(kVectorSignature) + R"("})"),
            kRPCVersionUnsupported);
  // A valid DER signature by another key, and bytes that are not DER.
  EXPECT_EQ(with(R"({"accountid":")" + account +
                 R"(","apiver":1,"timestamp":1732450000000,"sig":"3006020101020101"})"),
            kSignatureError);
  EXPECT_EQ(with(R"({"accountid":")" + account + R"(","apiver":1,"timestamp":1732450000000,"sig":"00ff"})"),
            kSignatureError);
  // The vector's signature over a different API version.
  EXPECT_EQ(with(R"({"accountid":")" + account + R"(","apiver":0,"timestamp":1732450000000,"sig":")" +
                 std::string(kVectorSignature) + R"("})"),
            kSignatureError);
  // Bad payloads.
  EXPECT_EQ(with("5"), kInvalidRequestError);
  EXPECT_EQ(with(R"({"accountid":")" + account + R"(","apiver":1,"timestamp":-1,"sig":"00"})"),
            kInvalidRequestError);
  EXPECT_EQ(with(R"({"accountid":")" + account + R"(","apiver":65536,"timestamp":1,"sig":"00"})"),
            kInvalidRequestError);
  EXPECT_EQ(with(R"({"accountid":")" + account + R"(","apiver":1,"timestamp":1,"sig":"xyz"})"),
            kInvalidRequestError);
  EXPECT_EQ(with(R"({"accountid":"zz","apiver":1,"timestamp":1,"sig":"00"})"), kInvalidRequestError);
  EXPECT_EQ(with(R"({"apiver":1,"timestamp":1,"sig":"00"})"), kInvalidRequestError);
  // None of these authenticated the connection.
  EXPECT_EQ(codeOf(decode(R"({"type":1,"id":10,"route":"limit","payload":{}})")), kUnauthorizedConnection);
}

TEST_F(DcrdexTest, RoutesThatNeedAuthAreRefusedBeforeConnect) {
  for (const char* route : {"limit", "market", "cancel", "init", "redeem", "match_status", "order_status"}) {
    const auto d = decode(R"({"type":1,"id":4,"route":")" + std::string(route) + R"(","payload":{}})");
    EXPECT_EQ(codeOf(d), kUnauthorizedConnection) << route;
  }
  ASSERT_EQ(codeOf(decode(vectorConnect(5))), 0);
  // Connected: Herald still does not trade, and says so with a different code.
  EXPECT_EQ(codeOf(decode(R"({"type":1,"id":6,"route":"limit","payload":{}})")), kRouteUnavailableError);
}

TEST_F(DcrdexTest, FeedsCanBeConfiguredToNeedConnect) {
  DcrdexConfig c = config();
  c.feeds_require_connect = true;
  dialect = makeDialect(c);
  state = dialect->newState();
  const std::string orderbook = R"({"type":1,"id":4,"route":"orderbook","payload":{"base":42,"quote":0}})";
  EXPECT_EQ(codeOf(decode(orderbook)), kUnauthorizedConnection);
  EXPECT_EQ(codeOf(decode(R"({"type":1,"id":5,"route":"price_feed"})")), kUnauthorizedConnection);
  ASSERT_EQ(codeOf(decode(vectorConnect(6))), 0);
  EXPECT_TRUE(std::holds_alternative<Command>(decode(orderbook)));
}

// --- market feeds ----------------------------------------------------------------------------

Event offerEvent(std::uint64_t seq, std::string_view id, std::string_view action,
                 std::string_view direction = "sell", std::uint64_t amount = 2500000000) {
  return Event{"dex.offer",
               seq,
               1732450001000 + static_cast<std::int64_t>(seq),
               {{"market", {"DCR/BTC"}}},
               R"({"offer_id":")" + std::string(id) + R"(","action":")" + std::string(action) +
                   R"(","market":"DCR/BTC","direction":")" + std::string(direction) +
                   R"(","price_rate":281000,"amount":)" + std::to_string(amount) +
                   R"(,"currency":"BTC","payment_method":"BLOCKCHAINS"})"};
}

std::vector<EventPtr> pointers(std::vector<Event> events) {
  std::vector<EventPtr> out;
  for (auto& e : events) out.push_back(std::make_shared<const Event>(std::move(e)));
  return out;
}

TEST_F(DcrdexTest, OrderBookSubscribesToTheMarketsOffersEpochsAndMatches) {
  const auto d = decode(R"({"type":1,"id":21,"route":"orderbook","payload":{"base":42,"quote":0}})");
  ASSERT_TRUE(std::holds_alternative<Command>(d));
  const Command& command = std::get<Command>(d);
  EXPECT_EQ(command.id, "21");
  const auto& sub = std::get<SubscribeCommand>(command.body);
  const std::string market = Filter::make({Clause{"market", {"DCR/BTC"}}})->canonical();
  EXPECT_EQ(sub.topic, "dex.offer");
  EXPECT_EQ(sub.filter.canonical(), market);
  EXPECT_EQ(sub.delivery.tag, "orderbook");
  EXPECT_TRUE(sub.snapshot);  // the book comes from the log
  EXPECT_FALSE(sub.since);
  EXPECT_FALSE(sub.implicit);
  ASSERT_EQ(sub.companions.size(), 2u);
  EXPECT_EQ(sub.companions[0].topic, "dex.epoch");
  EXPECT_EQ(sub.companions[0].delivery.tag, "epoch_order");
  EXPECT_EQ(sub.companions[1].topic, "dex.match");
  EXPECT_EQ(sub.companions[1].delivery.tag, "match_proof");
  for (const auto& c : sub.companions) EXPECT_EQ(c.filter.canonical(), market);

  // The result is the reference's OrderBook with the book the hub read (already folded).
  SubscribedReply reply{
      "21",         "s9",
      "dex.offer",  Cursor{7, 1042},
      sub.delivery, pointers({offerEvent(3, "o-1", "added"), offerEvent(9, "o-2", "added", "buy", 100)})};
  const auto frame = dialect->encodeReply(reply, *state);
  EXPECT_EQ(json::parse(frame->bytes), json::parse(R"({"type":2,"id":21,"payload":{"result":{
      "marketid":"dcr_btc","seq":1042,"epoch":0,"orders":[
        {"oid":"o-1","side":2,"qty":2500000000,"rate":281000,"time":1732450001003},
        {"oid":"o-2","side":1,"qty":100,"rate":281000,"time":1732450001009}],
      "baseFeeRate":0,"quoteFeeRate":0,"recentMatches":[]}}})"));

  // Leaving it unsubscribes the book and, silently, its two companions (their ids are derived).
  const auto u = decode(R"({"type":1,"id":22,"route":"unsub_orderbook","payload":{"marketid":"dcr_btc"}})");
  ASSERT_TRUE(std::holds_alternative<Answer>(u));
  const Answer& answer = std::get<Answer>(u);
  EXPECT_TRUE(answer.frames.empty());
  EXPECT_FALSE(answer.close_code);
  ASSERT_EQ(answer.commands.size(), 3u);
  EXPECT_EQ(answer.commands[0].id, "22");
  EXPECT_EQ(std::get<UnsubscribeCommand>(answer.commands[0].body).subscription, "s9");
  EXPECT_FALSE(std::get<UnsubscribeCommand>(answer.commands[0].body).implicit);
  for (std::size_t i = 1; i < 3; ++i) {
    const auto& leave = std::get<UnsubscribeCommand>(answer.commands[i].body);
    const auto& companion = sub.companions[i - 1];
    EXPECT_TRUE(leave.implicit);
    EXPECT_EQ(leave.subscription,
              sharedSubscriptionId(groupKey(companion.topic, companion.filter, companion.delivery)));
  }
  dialect->encodeReply(UnsubscribedReply{"22", "s9"}, *state);
  EXPECT_EQ(
      codeOf(decode(R"({"type":1,"id":23,"route":"unsub_orderbook","payload":{"marketid":"dcr_btc"}})")),
      kNotSubscribedError);
}

TEST_F(DcrdexTest, TheBookIsTheOffersAddedAndNotRemoved) {
  Delivery book;
  book.tag = "orderbook";
  auto events =
      pointers({offerEvent(1, "a", "added"), offerEvent(2, "b", "added"), offerEvent(3, "a", "removed"),
                offerEvent(4, "c", "added"), offerEvent(5, "b", "added", "sell", 7),  // b updated
                offerEvent(6, "d", "added"), offerEvent(7, "d", "removed"), offerEvent(8, "a", "added")});
  dialect->foldSnapshot(book, events);
  std::vector<std::uint64_t> seqs;
  for (const auto& e : events) seqs.push_back(e->seq);
  EXPECT_EQ(seqs, (std::vector<std::uint64_t>{4, 5, 8}));

  // Folding is idempotent (the hub folds after every page) and leaves other feeds alone.
  dialect->foldSnapshot(book, events);
  EXPECT_EQ(events.size(), 3u);
  Delivery other;
  other.tag = "price_feed";
  auto all = pointers({offerEvent(1, "a", "added"), offerEvent(2, "a", "removed")});
  dialect->foldSnapshot(other, all);
  EXPECT_EQ(all.size(), 2u);
}

// An event of the DCR/BTC market as the log hands it over (time_ms is not used by these notes).
Event dcrBtcEvent(std::string topic, std::uint64_t seq, std::string data) {
  return Event{std::move(topic), seq, 1732450009000, {{"market", {"DCR/BTC"}}}, std::move(data)};
}

TEST_F(DcrdexTest, EpochOrderHasTheReferenceShape) {
  Delivery delivery;
  delivery.tag = "epoch_order";
  Event limit = dcrBtcEvent(
      "dex.epoch", 1100,
      R"({"order_id":"8e4d","market":"DCR/BTC","epoch":1156832,"order_type":"limit","direction":"sell",)"
      R"("amount":4000000000,"price_rate":281000,"commitment":"5f3b","target":"",)"
      R"("timestamp_ms":1732450001000})");
  limit.accepted_ns = 5;
  const auto frame = dialect->encodeEvent(limit, "e1", Cursor{7, 1100}, delivery, NodeView{});
  EXPECT_EQ(frame->bytes,
            R"({"type":3,"route":"epoch_order","payload":{"seq":1100,"marketid":"dcr_btc","oid":"8e4d",)"
            R"("side":2,"qty":4000000000,"rate":281000,"time":1732450001000,"com":"5f3b","otype":1,)"
            R"("epoch":1156832}})");
  EXPECT_EQ(frame->accepted_ns, 5);

  // A market order has no rate (the reference omits a zero rate); a cancel has no trade and names
  // its target.
  Event market = limit;
  market.data = R"({"order_id":"9a","market":"DCR/BTC","epoch":7,"order_type":"market","direction":"buy",)"
                R"("amount":10,"price_rate":0,"commitment":"c0","target":"","timestamp_ms":1})";
  EXPECT_EQ(json::parse(dialect->encodeEvent(market, "e1", Cursor{7, 1100}, delivery, NodeView{})->bytes),
            json::parse(R"({"type":3,"route":"epoch_order","payload":{"seq":1100,"marketid":"dcr_btc",
                "oid":"9a","side":1,"qty":10,"time":1,"com":"c0","otype":2,"epoch":7}})"));
  Event cancel = limit;
  cancel.data = R"({"order_id":"ca","market":"DCR/BTC","epoch":7,"order_type":"cancel","direction":"sell",)"
                R"("amount":0,"price_rate":0,"commitment":"c1","target":"8e4d","timestamp_ms":2})";
  EXPECT_EQ(json::parse(dialect->encodeEvent(cancel, "e1", Cursor{7, 1100}, delivery, NodeView{})->bytes),
            json::parse(R"({"type":3,"route":"epoch_order","payload":{"seq":1100,"marketid":"dcr_btc",
                "oid":"ca","time":2,"com":"c1","otype":3,"epoch":7,"target":"8e4d"}})"));
}

TEST_F(DcrdexTest, MatchProofHasTheReferenceShapeAndNoSeq) {
  Delivery delivery;
  delivery.tag = "match_proof";
  const Event proof =
      dcrBtcEvent("dex.match", 1200,
                  R"({"market":"DCR/BTC","epoch":1156832,"preimages":["0a1b","2c3d"],"misses":["8e4d"],)"
                  R"("checksum":"d4c3","seed":"9f8e"})");
  EXPECT_EQ(dialect->encodeEvent(proof, "m1", Cursor{7, 1200}, delivery, NodeView{})->bytes,
            R"({"type":3,"route":"match_proof","payload":{"marketid":"dcr_btc","epoch":1156832,)"
            R"("preimages":["0a1b","2c3d"],"misses":["8e4d"],"csum":"d4c3","seed":"9f8e"}})");
}

TEST_F(DcrdexTest, OrderBookErrors) {
  EXPECT_EQ(codeOf(decode(R"({"type":1,"id":1,"route":"orderbook","payload":{"base":42,"quote":2}})")),
            kUnknownMarket);
  EXPECT_EQ(codeOf(decode(R"({"type":1,"id":2,"route":"orderbook","payload":{"base":42,"quote":999999}})")),
            kUnknownMarket);
  EXPECT_EQ(
      codeOf(decode(R"({"type":1,"id":3,"route":"orderbook","payload":{"base":42,"quote":4294967296}})")),
      kInvalidRequestError);
  EXPECT_EQ(codeOf(decode(R"({"type":1,"id":4,"route":"orderbook"})")), kInvalidRequestError);
  EXPECT_EQ(codeOf(decode(R"({"type":1,"id":5,"route":"unsub_orderbook","payload":{"marketid":"dcr_eth"}})")),
            kUnknownMarket);
  EXPECT_EQ(codeOf(decode(R"({"type":1,"id":6,"route":"unsub_orderbook","payload":{"marketid":"xmr_btc"}})")),
            kNotSubscribedError);
  EXPECT_EQ(codeOf(decode(R"({"type":1,"id":7,"route":"unsub_orderbook","payload":["dcr_btc"]})")),
            kInvalidRequestError);
}

TEST_F(DcrdexTest, HubErrorsCarryDcrdexCodes) {
  ASSERT_TRUE(std::holds_alternative<Command>(
      decode(R"({"type":1,"id":8,"route":"orderbook","payload":{"base":42,"quote":0}})")));
  const auto frame = dialect->encodeReply(
      ErrorReply{"8", Error::make(Errc::duplicate_subscription, "already subscribed")}, *state);
  EXPECT_EQ(json::parse(frame->bytes), json::parse(R"({"type":2,"id":8,"payload":{"result":null,
      "error":{"code":64,"message":"already subscribed"}}})"));
  EXPECT_EQ(Dcrdex::errorCode(Errc::rate_limited), kTooManyRequestsError);
  EXPECT_EQ(Dcrdex::errorCode(Errc::unavailable), kTryAgainLaterError);
  EXPECT_EQ(Dcrdex::errorCode(Errc::internal), kRPCInternalError);
}

TEST_F(DcrdexTest, PriceFeedSubscribesToEveryServedMarket) {
  const auto d = decode(R"({"type":1,"id":31,"route":"price_feed"})");
  ASSERT_TRUE(std::holds_alternative<Command>(d));
  const auto& sub = std::get<SubscribeCommand>(std::get<Command>(d).body);
  EXPECT_EQ(sub.topic, "dex.price");
  EXPECT_EQ(sub.delivery.tag, "price_feed");
  EXPECT_EQ(sub.filter.canonical(), Filter::make({Clause{"market", {"DCR/BTC", "XMR/BTC"}}})->canonical());
  const auto frame =
      dialect->encodeReply(SubscribedReply{"31", "p1", "dex.price", Cursor{7, 5}, sub.delivery}, *state);
  EXPECT_EQ(frame->bytes, R"({"type":2,"id":31,"payload":{"result":{}}})");
}

TEST_F(DcrdexTest, BookNotificationsFromOffers) {
  Delivery delivery;
  delivery.tag = "orderbook";
  Event added{
      "dex.offer",
      1043,
      1732450001000,
      {{"market", {"DCR/BTC"}}},
      R"({"offer_id":"o-17","action":"added","market":"DCR/BTC","direction":"sell","price_rate":281000,)"
      R"("amount":2500000000,"currency":"BTC","payment_method":"BLOCKCHAINS"})"};
  added.accepted_ns = 77;
  const auto frame = dialect->encodeEvent(added, "s9", Cursor{7, 1043}, delivery, NodeView{});
  EXPECT_EQ(frame->bytes,
            R"({"type":3,"route":"book_order","payload":{"seq":1043,"marketid":"dcr_btc","oid":"o-17",)"
            R"("side":2,"qty":2500000000,"rate":281000,"time":1732450001000}})");
  EXPECT_EQ(frame->accepted_ns, 77);

  Event removed = added;
  removed.seq = 1050;
  removed.data =
      R"({"offer_id":"o-17","action":"removed","market":"DCR/BTC","direction":"sell","price_rate":281000,)"
      R"("amount":2500000000,"currency":"BTC","payment_method":"BLOCKCHAINS"})";
  EXPECT_EQ(dialect->encodeEvent(removed, "s9", Cursor{7, 1050}, delivery, NodeView{})->bytes,
            R"({"type":3,"route":"unbook_order","payload":{"seq":1050,"marketid":"dcr_btc","oid":"o-17"}})");

  Event buy = added;
  buy.data =
      R"({"offer_id":"o-18","action":"added","market":"XMR/BTC","direction":"buy","price_rate":270000,)"
      R"("amount":100,"currency":"BTC","payment_method":"BLOCKCHAINS"})";
  const json::value v =
      json::parse(dialect->encodeEvent(buy, "s9", Cursor{7, 1043}, delivery, NodeView{})->bytes);
  EXPECT_EQ(v.at("payload").at("side"), 1);
  EXPECT_EQ(v.at("payload").at("marketid"), "xmr_btc");
}

TEST_F(DcrdexTest, PriceUpdateFromPrices) {
  Delivery delivery;
  delivery.tag = "price_feed";
  Event event{"dex.price",
              42,
              1732450002500,
              {{"market", {"DCR/BTC"}}},
              R"({"market":"DCR/BTC","price_rate":100000,"timestamp_ms":1732450002000})"};
  EXPECT_EQ(dialect->encodeEvent(event, "p1", Cursor{1, 42}, delivery, NodeView{})->bytes,
            R"({"type":3,"route":"price_update","payload":{"stamp":1732450002000,"baseID":42,"quoteID":0,)"
            R"("rate":100000,"bookVolume":0,"change24":0,"vol24":0,"high24":0,"low24":0}})");
}

TEST_F(DcrdexTest, PendingRequestsAreBounded) {
  // A client that never lets replies be encoded cannot grow the per-request memory without bound.
  int refused = 0;
  for (int id = 1; id <= 100; ++id) {
    const auto d = decode(R"({"type":1,"id":)" + std::to_string(id) + R"(,"route":"price_feed"})");
    if (codeOf(d) == kTooManyRequestsError) ++refused;
  }
  EXPECT_EQ(refused, 100 - 64);
}

// --- configuration ---------------------------------------------------------------------------

TEST(DcrdexConfigTest, AccountIdMustMatchItsKey) {
  DcrdexConfig c = config();
  c.accounts.clear();
  c.accounts.emplace("6124aa3017a3d3230df9b67658b5d3ca14791a8ed466661c69256c03b9edc3d1",
                     std::string(kPublicKey));
  auto made = Dcrdex::make(c);
  ASSERT_FALSE(made);
  EXPECT_NE(made.error().message.find(std::string(kAccountId)), std::string::npos);  // names the right id
  EXPECT_EQ(made.error().field, "accounts");
  EXPECT_TRUE(made.error().message.starts_with("dcrdex accounts: 6124aa30")) << made.error().message;
}

TEST(DcrdexConfigTest, RefusesBadValues) {
  auto bad = [](auto change) {
    DcrdexConfig c = config();
    change(c);
    return !Dcrdex::make(c);
  };
  EXPECT_TRUE(bad([](DcrdexConfig& c) { c.accounts[std::string(kAccountId)] = "02abcd"; }));
  EXPECT_TRUE(bad([](DcrdexConfig& c) { c.gateway_key = "00"; }));
  EXPECT_TRUE(bad([](DcrdexConfig& c) { c.gateway_key = std::string(64, '0'); }));  // zero is no key
  EXPECT_TRUE(bad([](DcrdexConfig& c) { c.timestamp_window_ms = 0; }));
  EXPECT_TRUE(bad([](DcrdexConfig& c) { c.markets = {"dcr_eur"}; }));
  EXPECT_TRUE(bad([](DcrdexConfig& c) { c.api_versions.clear(); }));
}

TEST(DcrdexConfigTest, GeneratesAGatewayKeyWhenNoneIsGiven) {
  DcrdexConfig c = config();
  c.gateway_key.clear();
  auto a = Dcrdex::make(c);
  auto b = Dcrdex::make(c);
  ASSERT_TRUE(a && b);
  EXPECT_TRUE((*a)->gatewayKeyGenerated());
  EXPECT_EQ((*a)->gatewayPublicKeyHex().size(), 66u);
  EXPECT_NE((*a)->gatewayPublicKeyHex(), (*b)->gatewayPublicKeyHex());
  EXPECT_FALSE(makeDialect()->gatewayKeyGenerated());
}

}  // namespace
}  // namespace herald::dialects
