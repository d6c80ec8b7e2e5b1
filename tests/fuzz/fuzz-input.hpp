/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * Reads a fuzz input as a few typed values followed by a byte tail. Our own
 * (not libFuzzer's FuzzedDataProvider) so the replay tests build with g++
 * too, and so the layout is fixed and documented: values are taken from the
 * front in order, a missing byte reads as 0, and the tail is what is left.
 */
#ifndef TESTS_FUZZ_FUZZ_INPUT_HPP
#define TESTS_FUZZ_FUZZ_INPUT_HPP

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

namespace voicekit::fuzz {

class Input {
public:
  Input(const std::uint8_t *data, std::size_t size) : data_(data), size_(size) {}

  std::uint8_t byte() { return at_ < size_ ? data_[at_++] : 0; }
  /* Little-endian; one statement per read, as the order of evaluation of
   * operands is unspecified. */
  std::uint16_t u16() {
    const unsigned low = byte();
    return static_cast<std::uint16_t>(low | static_cast<unsigned>(byte()) << 8);
  }
  std::uint32_t u32() {
    const std::uint32_t low = u16();
    return low | static_cast<std::uint32_t>(u16()) << 16;
  }
  std::uint64_t u64() {
    const std::uint64_t low = u32();
    return low | static_cast<std::uint64_t>(u32()) << 32;
  }
  bool flag() { return (byte() & 1) != 0; }

  /* Up to `max` bytes (fewer at the end of the input). */
  std::size_t take(std::size_t max, const std::uint8_t **out) {
    const std::size_t n = max < size_ - at_ ? max : size_ - at_;
    *out = data_ + at_;
    at_ += n;
    return n;
  }
  /* Bytes up to the next `separator` (consumed, not returned) or the end. */
  std::string until(char separator) {
    const std::uint8_t *start = data_ + at_;
    const void *found = std::memchr(start, separator, size_ - at_);
    const std::size_t n =
        found != nullptr
            ? static_cast<std::size_t>(static_cast<const std::uint8_t *>(found) - start)
            : size_ - at_;
    at_ += n + (found != nullptr ? 1 : 0);
    return std::string(reinterpret_cast<const char *>(start), n);
  }
  std::size_t remaining() const { return size_ - at_; }
  bool empty() const { return at_ >= size_; }

private:
  const std::uint8_t *data_;
  std::size_t size_;
  std::size_t at_ = 0;
};

} /* namespace voicekit::fuzz */

/* An invariant of the code under test: a failure is a finding (libFuzzer
 * reports the trap as a crash and keeps the input; the replay test dies).
 * Not assert(): it must hold in release builds too. The line says which. */
#define FUZZ_CHECK(condition)                                                                      \
  do {                                                                                             \
    if (!(condition)) {                                                                            \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #condition);       \
      __builtin_trap();                                                                            \
    }                                                                                              \
  } while (0)

#endif /* TESTS_FUZZ_FUZZ_INPUT_HPP */
