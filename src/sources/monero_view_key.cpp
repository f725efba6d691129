// checkViewKey: see monero_view_key.h.
#include "sources/monero_view_key.h"

#include <sodium.h>

#include <array>
#include <cstring>

#include "schema/monero_address.h"
#include "core/hex.h"

namespace herald::sources {
namespace {

constexpr std::size_t kKeyBytes = 32;
// Decoded address: 1-byte network tag (every Monero tag is below 0x80, so its varint is one byte),
// public spend key, public view key, [8-byte payment id], 4-byte checksum.
constexpr std::size_t kViewKeyOffset = 1 + kKeyBytes;

}  // namespace

Result<void> checkViewKey(std::string_view address, std::string_view view_key_hex) {
  const schema::monero::AddressCheck form = schema::monero::checkAddress(address);
  if (!form.info) return Error::make(Errc::invalid_params, "address: " + form.problem, "account");
  if (form.info->kind == schema::monero::AddressKind::subaddress) {
    // A subaddress's second key is not the wallet's public view key.
    return Error::make(Errc::invalid_params,
                       "address: a subaddress has no view key of its own; use the primary address",
                       "account");
  }
  const auto decoded = schema::monero::decodeBase58(address);
  if (!decoded || decoded->size() < kViewKeyOffset + kKeyBytes) {
    return Error::make(Errc::invalid_params, "address: does not decode to two public keys", "account");
  }

  if (view_key_hex.size() != kKeyBytes * 2) {
    return Error::make(
        Errc::invalid_params,
        "view_key: expected 64 hex digits, got " + std::to_string(view_key_hex.size()) + " characters",
        "secret");
  }
  auto bytes = hex::decode(view_key_hex);
  if (!bytes) return Error::make(Errc::invalid_params, "view_key: expected 64 hex digits", "secret");
  std::array<unsigned char, kKeyBytes> secret{};
  std::memcpy(secret.data(), bytes->data(), kKeyBytes);
  sodium_memzero(bytes->data(), bytes->size());
  if (sodium_init() < 0) return Error::make(Errc::internal, "libsodium failed to initialise");

  // Monero rejects a secret key that is not reduced modulo the group order (sc_check); so do we.
  std::array<unsigned char, 64> wide{};
  std::memcpy(wide.data(), secret.data(), kKeyBytes);
  std::array<unsigned char, kKeyBytes> reduced{};
  crypto_core_ed25519_scalar_reduce(reduced.data(), wide.data());
  if (sodium_memcmp(reduced.data(), secret.data(), kKeyBytes) != 0) {
    sodium_memzero(secret.data(), secret.size());
    return Error::make(Errc::invalid_params,
                       "view_key: not a valid secret key (not reduced modulo the group order)", "secret");
  }
  std::array<unsigned char, kKeyBytes> expected{};
  const int rc = crypto_scalarmult_ed25519_base_noclamp(expected.data(), secret.data());
  sodium_memzero(secret.data(), secret.size());
  sodium_memzero(wide.data(), wide.size());
  if (rc != 0)
    return Error::make(Errc::invalid_params, "view_key: the zero key is not a valid secret key", "secret");
  const auto* view_public = reinterpret_cast<const unsigned char*>(decoded->data() + kViewKeyOffset);
  if (sodium_memcmp(expected.data(), view_public, kKeyBytes) != 0) {
    return Error::make(Errc::unauthorized, "view key does not match the address", "secret");
  }
  return {};
}

}  // namespace herald::sources
