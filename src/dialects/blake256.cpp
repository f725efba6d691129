// BLAKE-256 compression and padding, following the specification's sections 2.1 (constants),
// 2.1.2 (compression: initialization, 14 rounds of G over columns then diagonals, finalization with
// a zero salt) and 2.1.3 (padding: a 1 bit, zeros, a 1 bit, the 64-bit big-endian bit length; the
// counter of a block holding only padding is 0).
#include "dialects/blake256.h"

#include <algorithm>
#include <cstring>

namespace herald::dialects {
namespace {

constexpr std::array<std::uint32_t, 8> kIv = {0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A,
                                              0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19};

// The first digits of pi, as the specification defines c0..c15.
constexpr std::array<std::uint32_t, 16> kC = {
    0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344, 0xA4093822, 0x299F31D0, 0x082EFA98, 0xEC4E6C89,
    0x452821E6, 0x38D01377, 0xBE5466CF, 0x34E90C6C, 0xC0AC29B7, 0xC97C50DD, 0x3F84D5B5, 0xB5470917};

constexpr std::uint8_t kSigma[10][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
    {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
    {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
    {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
    {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
    {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
    {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
    {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
    {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
};

constexpr int kRounds = 14;

constexpr std::uint32_t rotr(std::uint32_t x, int n) noexcept { return (x >> n) | (x << (32 - n)); }

std::uint32_t load32(const std::uint8_t* p) noexcept {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

void store32(std::uint8_t* p, std::uint32_t v) noexcept {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}

}  // namespace

Blake256::Blake256() noexcept : h_(kIv) {}

void Blake256::compress(const std::uint8_t* block, std::uint64_t counter_bits) noexcept {
  std::uint32_t m[16];
  for (int i = 0; i < 16; ++i) m[i] = load32(block + 4 * i);

  const auto t0 = static_cast<std::uint32_t>(counter_bits);
  const auto t1 = static_cast<std::uint32_t>(counter_bits >> 32);
  std::uint32_t v[16];
  for (int i = 0; i < 8; ++i) v[i] = h_[i];
  // The salt is zero, so v8..v11 are the constants themselves.
  v[8] = kC[0];
  v[9] = kC[1];
  v[10] = kC[2];
  v[11] = kC[3];
  v[12] = t0 ^ kC[4];
  v[13] = t0 ^ kC[5];
  v[14] = t1 ^ kC[6];
  v[15] = t1 ^ kC[7];

  for (int r = 0; r < kRounds; ++r) {
    const std::uint8_t* s = kSigma[r % 10];
    auto g = [&](int i, int a, int b, int c, int d) {
      const int x = s[2 * i];
      const int y = s[2 * i + 1];
      v[a] = v[a] + v[b] + (m[x] ^ kC[y]);
      v[d] = rotr(v[d] ^ v[a], 16);
      v[c] = v[c] + v[d];
      v[b] = rotr(v[b] ^ v[c], 12);
      v[a] = v[a] + v[b] + (m[y] ^ kC[x]);
      v[d] = rotr(v[d] ^ v[a], 8);
      v[c] = v[c] + v[d];
      v[b] = rotr(v[b] ^ v[c], 7);
    };
    g(0, 0, 4, 8, 12);
    g(1, 1, 5, 9, 13);
    g(2, 2, 6, 10, 14);
    g(3, 3, 7, 11, 15);
    g(4, 0, 5, 10, 15);
    g(5, 1, 6, 11, 12);
    g(6, 2, 7, 8, 13);
    g(7, 3, 4, 9, 14);
  }
  for (int i = 0; i < 8; ++i) h_[i] ^= v[i] ^ v[i + 8];
}

void Blake256::update(std::span<const std::uint8_t> bytes) noexcept {
  const std::uint8_t* p = bytes.data();
  std::size_t n = bytes.size();
  while (n > 0) {
    // A full buffer is compressed only when more input arrives: the last block (even a full one)
    // is left for digest(), whose counter rule depends on whether it is the last.
    if (buffered_ == buffer_.size()) {
      total_bits_ += 512;
      compress(buffer_.data(), total_bits_);
      buffered_ = 0;
    }
    const std::size_t take = std::min(n, buffer_.size() - buffered_);
    std::memcpy(buffer_.data() + buffered_, p, take);
    buffered_ += take;
    p += take;
    n -= take;
  }
}

Blake256Digest Blake256::digest() noexcept {
  if (buffered_ == buffer_.size()) {
    total_bits_ += 512;
    compress(buffer_.data(), total_bits_);
    buffered_ = 0;
  }
  const std::uint64_t length_bits = total_bits_ + 8 * std::uint64_t{buffered_};
  std::uint8_t length[8];
  store32(length, static_cast<std::uint32_t>(length_bits >> 32));
  store32(length + 4, static_cast<std::uint32_t>(length_bits));

  std::array<std::uint8_t, 64> block{};
  std::memcpy(block.data(), buffer_.data(), buffered_);
  block[buffered_] = 0x80;
  // A block that holds no message bit is counted as 0 (spec 2.1.3).
  const std::uint64_t last_counter = buffered_ == 0 ? 0 : length_bits;
  if (buffered_ <= 55) {
    block[55] |= 0x01;  // when buffered_ == 55 this is the same byte as the 0x80: 0x81
    std::memcpy(block.data() + 56, length, 8);
    compress(block.data(), last_counter);
  } else {
    compress(block.data(), last_counter);
    block.fill(0);
    block[55] = 0x01;
    std::memcpy(block.data() + 56, length, 8);
    compress(block.data(), 0);
  }

  Blake256Digest out;
  for (int i = 0; i < 8; ++i) store32(out.data() + 4 * i, h_[i]);
  return out;
}

Blake256Digest Blake256::hash(std::span<const std::uint8_t> bytes) noexcept {
  Blake256 b;
  b.update(bytes);
  return b.digest();
}

}  // namespace herald::dialects
