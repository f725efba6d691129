// Fuzzes the monero-lws feed decoder (both encodings) and its MessagePack reader with arbitrary client
// bytes. Beyond "no crash, no sanitizer report" it checks what a client and the hub rely on: every
// outcome is a login or a fatal rejection with an lws code 0-9, the error frame is well formed in the
// connection's encoding, a login carries a well-formed address and a lowercase 64-hex view key, the
// connection refuses everything after its first message, and what the reader accepts the writer
// writes back to the same value.
//
// The first byte picks the encoding (odd: msgpack); the rest is the client's message.
#include <boost/json.hpp>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "schema/monero_address.h"
#include "fuzz_support.h"
#include "dialects/lws_feed.h"
#include "dialects/lws_value.h"

namespace {

namespace json = boost::json;
using herald::dialects::LwsCode;
using herald::dialects::LwsFeed;

using herald::fuzz::require;

const LwsFeed& dialectFor(bool msgpack) {
  static const LwsFeed json_dialect({}, LwsFeed::Encoding::json);
  static const LwsFeed msgpack_dialect({}, LwsFeed::Encoding::msgpack);
  return msgpack ? msgpack_dialect : json_dialect;
}

void checkErrorFrame(const LwsFeed& dialect, const herald::Error& error) {
  auto state = dialect.newState();
  const herald::FramePtr frame = dialect.encodeReply(herald::ErrorReply{{}, error}, *state);
  require(frame != nullptr);
  const std::string_view bytes = frame->bytes;
  require(bytes.starts_with("error:"));
  const std::string_view payload = bytes.substr(6);
  if (dialect.encoding() == LwsFeed::Encoding::json) {
    boost::system::error_code ec;
    const json::value v = json::parse(payload, ec);
    require(!ec && v.is_object() && v.as_object().size() == 2);
    require(v.as_object().contains("msg") && v.at("msg").is_string());
    require(v.as_object().contains("code") && v.at("code").is_int64() && v.at("code").as_int64() >= 0 &&
            v.at("code").as_int64() <= 9);
  } else {
    auto v = herald::dialects::lws::readMsgpack(payload);
    require(v && v->kind() == herald::dialects::lws::Value::Kind::object && v->members().size() == 2);
    const auto* code = v->find("code");
    require(code != nullptr && code->kind() == herald::dialects::lws::Value::Kind::unsigned_integer &&
            code->asUint() <= 9);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool msgpack = (data[0] & 1) != 0;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  const LwsFeed& dialect = dialectFor(msgpack);

  auto state = dialect.newState();
  const herald::Decoded decoded = dialect.decode(bytes, msgpack, *state, herald::DecodeContext{});
  if (const auto* rejection = std::get_if<herald::Rejection>(&decoded)) {
    require(rejection->fatal);
    require(!rejection->error.message.empty());
    require(static_cast<int>(LwsFeed::lwsCode(rejection->error)) <= 9);
    checkErrorFrame(dialect, rejection->error);
  } else {
    const auto& command = std::get<herald::Command>(decoded);
    const auto& login = std::get<herald::LoginCommand>(command.body);
    require(herald::schema::monero::checkAddress(login.account).info.has_value());
    require(login.secret.size() == 64);
    for (char c : login.secret) require((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
    require(login.snapshot_topic == "account.tx");
    require(!dialect.afterLogin(login).empty());
  }
  // The feed takes one message; whatever came first, the next one ends the connection.
  const herald::Decoded again = dialect.decode(bytes, msgpack, *state, herald::DecodeContext{});
  const auto* second = std::get_if<herald::Rejection>(&again);
  require(second != nullptr && second->fatal && LwsFeed::lwsCode(second->error) == LwsCode::protocol_error);

  // The reader on its own: what it accepts, the writer writes back to an equal value.
  if (auto value = herald::dialects::lws::readMsgpack(bytes)) {
    std::string written;
    herald::dialects::lws::appendMsgpack(written, *value);
    auto back = herald::dialects::lws::readMsgpack(written);
    require(back && *back == *value);
  }
  return 0;
}
