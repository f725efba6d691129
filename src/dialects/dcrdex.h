// dcrdex msgjson: the Decred DEX client-server WebSocket protocol (docs/protocol/dcrdex.md is the
// client's contract: routes, notifications, every error code, the signing conventions).
//
// What Herald serves of it: `connect` (account authentication by secp256k1 signature, answered
// with the gateway's own signature), the market feeds `orderbook` / `unsub_orderbook` (the book
// read from the log, then book_order / unbook_order from `dex.offer`, epoch_order from `dex.epoch`
// and match_proof from `dex.match`) and `price_feed` (price_update from `dex.price`). Herald relays
// feeds; it does not trade, so order and swap routes are refused.
//
// Must not: do I/O, keep per-connection state outside DialectState, or renumber a code. The one
// piece of state shared by every connection is the ConnectLedger (last accepted connect timestamp
// per account, for replay protection), owned by this object and guarded by its own mutex: one
// Dcrdex object serves all workers.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/dialect.h"
#include "dialects/dcrdex_auth.h"
#include "dialects/dcrdex_market.h"

namespace herald::dialects {

struct DcrdexConfig {
  // Registered accounts: account id (64 hex digits) -> compressed secp256k1 public key (66 hex
  // digits). Each id must equal BLAKE-256(BLAKE-256(public key)); make() refuses a mismatch.
  std::map<std::string, std::string> accounts;
  // The gateway's secp256k1 secret key (64 hex digits) that signs connect responses. Empty: make()
  // generates one; the app logs gatewayPublicKeyHex() so clients can pin it.
  std::string gateway_key;
  // A connect timestamp further than this from the gateway's clock is refused. 60 s tolerates
  // ordinary clock drift and a slow handshake while keeping a captured connect useless soon after.
  std::int64_t timestamp_window_ms = 60'000;
  // `apiver` values a connect may request.
  std::vector<std::uint16_t> api_versions = {0, 1};
  // Markets served, dcrdex names ("dcr_btc"); each asset must be in the SLIP-0044 table. At most
  // 64 (a price_feed subscription filters on all of them; see FilterLimits).
  std::vector<std::string> markets = {"dcr_btc", "xmr_btc"};
  // true: the market feeds too need a successful connect first (the reference serves them to anyone).
  bool feeds_require_connect = false;
};

// Error codes a client sees. All but kConnectReplayError are the reference's own numbers
// (decred/dcrdex dex/msgjson: the iota list of error codes).
namespace dcrdex_code {
inline constexpr int kRPCParseError = 1;
inline constexpr int kRPCUnknownRoute = 2;
inline constexpr int kRPCVersionUnsupported = 5;
inline constexpr int kRPCInternalError = 7;
inline constexpr int kSignatureError = 22;
inline constexpr int kClockRangeError = 35;
inline constexpr int kUnknownMarket = 38;
inline constexpr int kNotSubscribedError = 39;
inline constexpr int kUnauthorizedConnection = 40;
inline constexpr int kAuthenticationError = 41;
inline constexpr int kUnknownMessageType = 46;
inline constexpr int kTryAgainLaterError = 49;
inline constexpr int kAccountNotFoundError = 50;
inline constexpr int kInvalidRequestError = 52;
inline constexpr int kRouteUnavailableError = 55;
inline constexpr int kTooManyRequestsError = 59;
inline constexpr int kDuplicateRequestError = 64;
// Herald's own, above the reference's range: a connect timestamp not newer than the last accepted.
inline constexpr int kConnectReplayError = 1000;
}  // namespace dcrdex_code

class Dcrdex final : public Dialect {
 public:
  static constexpr std::string_view kName = "dcrdex";

  // Validates `config` (hex, key validity, id == BLAKE-256(BLAKE-256(pubkey)), markets, window > 0)
  // and generates a gateway key when none is given. Errors: Errc::invalid_params naming the key.
  static Result<std::unique_ptr<Dcrdex>> make(const DcrdexConfig& config);

  std::string_view name() const override { return kName; }
  std::unique_ptr<DialectState> newState() const override;

  // Text frames holding one Message. Never throws. `connect` is answered here (Answer: the signed
  // result, or an error frame with a code only connect has: 5, 22, 35, 41, 50, 1000); feeds become
  // Subscribe/Unsubscribe commands; anything else is a Rejection whose Errc maps to its dcrdex code
  // (errorCode). `context.now_ms` is the clock connect timestamps are checked against.
  Decoded decode(std::string_view bytes, bool binary, DialectState& state,
                 const DecodeContext& context) const override;

  FramePtr encodeReply(const Reply& reply, DialectState& state) const override;
  // book_order / unbook_order for `dex.offer` (tag "orderbook"), epoch_order for `dex.epoch` (tag
  // "epoch_order"), match_proof for `dex.match` (tag "match_proof"), price_update for `dex.price` (tag
  // "price_feed"). Depends only on the event and the delivery: shareable by every subscriber.
  FramePtr encodeEvent(const Event& event, std::string_view subscription, const Cursor& cursor,
                       const Delivery& delivery, const NodeView& node) const override;
  // An orderbook snapshot keeps the offers on the book: those whose latest event is `added`.
  void foldSnapshot(const Delivery& delivery, std::vector<EventPtr>& events) const override;
  // dcrdex subscriptions never resume (no cursor on the wire), so there is no gap to report.
  FramePtr encodeGap(std::string_view subscription, const Gap& gap) const override;

  std::string gatewayPublicKeyHex() const { return dcrdex::toHex(gateway_public_); }
  bool gatewayKeyGenerated() const noexcept { return key_generated_; }

  // The dcrdex code for a failure kind (the table in docs/protocol/dcrdex.md).
  static int errorCode(Errc code) noexcept;

  // Routes the reference serves only on an authenticated connection; Herald refuses them with
  // kUnauthorizedConnection before connect and kRouteUnavailableError after (it does not trade).
  static bool isAuthenticatedRoute(std::string_view route) noexcept;

 private:
  struct Account {
    dcrdex::PublicKey public_key;
  };

  Dcrdex() = default;

  // A connect whose payload parsed: authenticate and answer it.
  struct ConnectRequest;
  Decoded connect(const ConnectRequest& request, DialectState& state, const DecodeContext& context) const;

  std::unique_ptr<dcrdex::Secp256k1> secp_;
  std::map<dcrdex::AccountId, Account> accounts_;
  dcrdex::SecretKey gateway_secret_{};
  dcrdex::PublicKey gateway_public_{};
  bool key_generated_ = false;
  std::int64_t window_ms_ = 0;
  std::vector<std::uint16_t> api_versions_;
  std::vector<dcrdex::Market> markets_;
  bool feeds_require_connect_ = false;
  mutable dcrdex::ConnectLedger ledger_;
};

}  // namespace herald::dialects
