// Fuzzes Dcrdex::decode with arbitrary client bytes. The input is split at newlines into messages
// sent on one connection, so sequences (connect, then feeds) are reached too. Beyond "no crash, no
// sanitizer report" it checks what a client relies on: every outcome is answered with a valid
// dcrdex response (JSON, type 2, the request's id when it had one), and every frame the dialect
// would send for the resulting subscriptions (a book snapshot, its companions' notes) is valid JSON.
#include <boost/json.hpp>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>
#include <vector>

#include "dialects/dcrdex.h"
#include "fuzz_support.h"

namespace {

namespace json = boost::json;
using herald::dialects::Dcrdex;

using herald::fuzz::require;

using herald::fuzz::mustParse;

void checkResponse(std::string_view bytes, const herald::RequestId& id) {
  const json::value v = mustParse(bytes);
  require(v.is_object() && v.at("type") == 2 && v.at("payload").is_object());
  if (id.empty()) {
    require(!v.as_object().contains("id"));
  } else {
    require(json::serialize(v.at("id")) == id);
  }
}

const Dcrdex& dialect() {
  static const auto made = [] {
    herald::dialects::DcrdexConfig config;
    // The account and timestamp of the independent vector (tests/unit/dialects/dcrdex_auth_test.cpp),
    // so the corpus can hold a connect that succeeds.
    config.accounts.emplace("376032b7949644390633912921d7f2086aaf3e253eaf20c559af40e77dffce3d",
                            "0205a652a97e5f13a9f962b7f397a4ff56592de6e03fa831514455ce072efcd16b");
    config.gateway_key = "0101010101010101010101010101010101010101010101010101010101010101";
    return Dcrdex::make(config);
  }();
  require(made.has_value());
  return **made;
}

herald::EventPtr sampleEvent(std::string_view topic) {
  auto event = std::make_shared<herald::Event>();
  event->topic = std::string(topic);
  event->seq = 1;
  if (topic == "dex.price") {
    event->data = R"({"market":"DCR/BTC","price_rate":1,"timestamp_ms":2})";
  } else if (topic == "dex.epoch") {
    event->data =
        R"({"order_id":"o\"1","market":"DCR/BTC","epoch":3,"order_type":"cancel","direction":"buy",)"
        R"("amount":0,"price_rate":0,"commitment":"c","target":"t\"","timestamp_ms":2})";
  } else if (topic == "dex.match") {
    event->data =
        R"({"market":"DCR/BTC","epoch":3,"preimages":["a\""],"misses":[],"checksum":"c","seed":"s"})";
  } else {
    event->data = R"({"offer_id":"o\"1","action":"added","market":"DCR/BTC","direction":"buy",)"
                  R"("price_rate":1,"amount":2,"currency":"BTC","payment_method":"X"})";
  }
  return event;
}

void checkEvent(const Dcrdex& d, std::string_view topic, const herald::Delivery& delivery) {
  mustParse(d.encodeEvent(*sampleEvent(topic), "s", herald::Cursor{}, delivery, herald::NodeView{})->bytes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Dcrdex& d = dialect();
  auto state = d.newState();
  herald::DecodeContext context;
  context.now_ms = 1732450000000;
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  // The first byte picks the frame type now and then, so the binary path is covered too.
  const bool binary = size > 0 && data[0] == 0xff;
  int sub_serial = 0;
  while (true) {
    const auto cut = rest.find('\n');
    const std::string_view bytes = rest.substr(0, cut);
    const herald::Decoded decoded = d.decode(bytes, binary, *state, context);
    if (const auto* rejection = std::get_if<herald::Rejection>(&decoded)) {
      require(!rejection->fatal && !rejection->error.message.empty());
      checkResponse(d.encodeReply(herald::ErrorReply{rejection->id, rejection->error}, *state)->bytes,
                    rejection->id);
    } else if (const auto* answer = std::get_if<herald::Answer>(&decoded)) {
      if (answer->commands.empty()) {  // connect: its response
        require(answer->frames.size() == 1);
        mustParse(answer->frames[0]->bytes);
      } else {  // unsub_orderbook: the book, answered, then its companions, silently
        require(answer->frames.empty());
        const auto& first = answer->commands[0];
        const auto& leave = std::get<herald::UnsubscribeCommand>(first.body);
        require(!leave.implicit && first.id != "");
        for (std::size_t i = 1; i < answer->commands.size(); ++i) {
          require(std::get<herald::UnsubscribeCommand>(answer->commands[i].body).implicit);
        }
        checkResponse(d.encodeReply(herald::UnsubscribedReply{first.id, leave.subscription}, *state)->bytes,
                      first.id);
      }
    } else if (const auto* command = std::get_if<herald::Command>(&decoded)) {
      require(!binary && !command->id.empty());
      if (const auto* sub = std::get_if<herald::SubscribeCommand>(&command->body)) {
        const std::string id = "s" + std::to_string(++sub_serial);
        std::vector<herald::EventPtr> book;
        if (sub->snapshot) {
          book.push_back(sampleEvent(sub->topic));
          d.foldSnapshot(sub->delivery, book);
        }
        checkResponse(d.encodeReply(herald::SubscribedReply{command->id, id, sub->topic, herald::Cursor{1, 2},
                                                            sub->delivery, book},
                                    *state)
                          ->bytes,
                      command->id);
        checkEvent(d, sub->topic, sub->delivery);
        for (const auto& companion : sub->companions) checkEvent(d, companion.topic, companion.delivery);
      } else if (const auto* unsub = std::get_if<herald::UnsubscribeCommand>(&command->body)) {
        checkResponse(
            d.encodeReply(herald::UnsubscribedReply{command->id, unsub->subscription}, *state)->bytes,
            command->id);
      }
    } else {
      require(false);  // the dialect never ignores a message
    }
    if (cut == std::string_view::npos) break;
    rest.remove_prefix(cut + 1);
  }
  return 0;
}
