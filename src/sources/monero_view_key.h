// Checking a Monero view key against an address without asking anyone: the address carries the
// public view key, and a secret view key is right exactly when it is a canonical Ed25519 scalar whose
// multiple of the base point is that public key. Herald must do this itself: monero-wallet-rpc's
// generate_from_keys accepts any view key for a view-only wallet (0.18 creates the wallet and scans
// nothing), and asking it to sign with a wrong key aborts the daemon (an assertion in crypto.cpp).
//
// Pure (libsodium for the curve arithmetic); must not log or echo the key.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace herald::sources {

// Errc::invalid_params (field "account" for the address, "secret" for the key: the Accounts
// contract's names) when either is malformed: not a standard or integrated Monero address, not 64 hex
// digits, not a reduced scalar. Errc::unauthorized (field "secret") "view key does not match the
// address". Success otherwise.
Result<void> checkViewKey(std::string_view address, std::string_view view_key_hex);

}  // namespace herald::sources
