// BLAKE-256: the SHA-3 finalist hash (round-3 version, 14 rounds) that Decred uses for account ids.
// It is not in OpenSSL, so it is implemented here from its specification (Aumasson, Henzen, Meier,
// Phan: "SHA-3 proposal BLAKE", version 1.3) and checked against the specification's own vectors.
//
// Not BLAKE2s: same permutations and rotations, but BLAKE-256 keeps the 16 round constants, 14
// rounds and its own padding. Pure and allocation-free; safe from any thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace herald::dialects {

using Blake256Digest = std::array<std::uint8_t, 32>;

class Blake256 {
 public:
  Blake256() noexcept;

  // Appends bytes; may be called any number of times before digest().
  void update(std::span<const std::uint8_t> bytes) noexcept;
  // Pads and returns the digest. The object must not be updated afterwards.
  Blake256Digest digest() noexcept;

  static Blake256Digest hash(std::span<const std::uint8_t> bytes) noexcept;

 private:
  // `counter_bits`: message bits hashed up to the end of this block (0 for a block of padding only).
  void compress(const std::uint8_t* block, std::uint64_t counter_bits) noexcept;

  std::array<std::uint32_t, 8> h_;
  std::array<std::uint8_t, 64> buffer_{};
  std::size_t buffered_ = 0;
  std::uint64_t total_bits_ = 0;  // message bits so far (the spec bounds messages to < 2^64 bits)
};

}  // namespace herald::dialects
