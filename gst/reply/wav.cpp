/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * WAV header and incremental reader: see wav.hpp.
 */
#include "wav.hpp"

#include <algorithm>
#include <cstdio>
#include <utility>

namespace voicekit::reply {

namespace {

constexpr uint16_t kTagPcm = 1;
constexpr uint16_t kTagFloat = 3;
constexpr uint16_t kTagExtensible = 0xFFFE;
constexpr uint32_t kUnknownSize = 0xFFFFFFFFu;
/* sox writing to a pipe (it cannot seek back to fix the header) declares
 * 0x7FFFF000 rounded down to whole frames as the data size: its "length
 * unknown" marker. */
constexpr uint32_t kSoxUnknownSize = 0x7FFFF000u;
constexpr std::size_t kRiffHeaderBytes = 12;
constexpr std::size_t kChunkHeaderBytes = 8;
constexpr std::size_t kFmtMinBytes = 16;
constexpr std::size_t kFmtExtensibleBytes = 40;

/* KSDATAFORMAT_SUBTYPE_PCM / _IEEE_FLOAT: the format tag in the first two
 * bytes, then these 14 bytes. */
constexpr uint8_t kGuidTail[14] = {0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80,
                                   0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};

uint16_t le16(const uint8_t *p) {
  return static_cast<uint16_t>(p[0] | (p[1] << 8));
}

uint32_t le32(const uint8_t *p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

void put16(std::vector<uint8_t> &out, uint32_t v) {
  out.push_back(static_cast<uint8_t>(v & 0xFF));
  out.push_back(static_cast<uint8_t>((v >> 8) & 0xFF));
}

void put32(std::vector<uint8_t> &out, uint32_t v) {
  put16(out, v & 0xFFFF);
  put16(out, v >> 16);
}

void put_id(std::vector<uint8_t> &out, const char *id) {
  out.insert(out.end(), id, id + 4);
}

bool same_id(const uint8_t *p, const char *id) {
  return std::equal(p, p + 4, reinterpret_cast<const uint8_t *>(id));
}

/* A chunk id as text when printable, else as hex bytes. */
std::string describe_id(const uint8_t *p) {
  bool printable = true;
  for (int i = 0; i < 4; i++)
    printable = printable && p[i] >= 0x20 && p[i] <= 0x7E;
  if (printable)
    return "'" + std::string(reinterpret_cast<const char *>(p), 4) + "'";
  char hex[24];
  std::snprintf(hex, sizeof hex, "%02X %02X %02X %02X", p[0], p[1], p[2], p[3]);
  return std::string("bytes ") + hex;
}

std::string hex16(unsigned v) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%04X", v);
  return text;
}

const char *tag_name(uint16_t tag) {
  switch (tag) {
  case 0x0002:
    return " (MS ADPCM)";
  case 0x0006:
    return " (A-law)";
  case 0x0007:
    return " (mu-law)";
  case 0x0011:
    return " (IMA ADPCM)";
  case 0x0055:
    return " (MP3)";
  default:
    return "";
  }
}

} /* namespace */

const char *wav_sample_format_name(WavSampleFormat format) {
  switch (format) {
  case WavSampleFormat::kU8:
    return "U8";
  case WavSampleFormat::kS16:
    return "S16LE";
  case WavSampleFormat::kS24:
    return "S24LE";
  case WavSampleFormat::kS32:
    return "S32LE";
  case WavSampleFormat::kF32:
    return "F32LE";
  }
  return "?";
}

int WavFormat::bytes_per_sample() const {
  switch (format) {
  case WavSampleFormat::kU8:
    return 1;
  case WavSampleFormat::kS16:
    return 2;
  case WavSampleFormat::kS24:
    return 3;
  case WavSampleFormat::kS32:
  case WavSampleFormat::kF32:
    return 4;
  }
  return 0;
}

std::vector<uint8_t> wav_header(const WavFormat &format, uint32_t data_bytes) {
  const auto rate = static_cast<uint32_t>(std::max(format.rate, 0));
  const auto block_align = static_cast<uint32_t>(std::max(format.bytes_per_frame(), 0));
  const uint32_t riff_size =
      data_bytes > kUnknownSize - 36 ? kUnknownSize : static_cast<uint32_t>(36 + data_bytes);
  std::vector<uint8_t> out;
  out.reserve(44);
  put_id(out, "RIFF");
  put32(out, riff_size);
  put_id(out, "WAVE");
  put_id(out, "fmt ");
  put32(out, 16);
  put16(out, format.format == WavSampleFormat::kF32 ? kTagFloat : kTagPcm);
  put16(out, static_cast<uint32_t>(std::max(format.channels, 0)));
  put32(out, rate);
  put32(out, rate * block_align);
  put16(out, block_align);
  put16(out, static_cast<uint32_t>(format.bytes_per_sample() * 8));
  put_id(out, "data");
  put32(out, data_bytes);
  return out;
}

/* ---- WavReader ------------------------------------------------------------- */

bool WavReader::fail(std::string why) {
  status_ = Status::kError;
  error_ = std::move(why);
  header_.clear();
  header_.shrink_to_fit();
  return false;
}

WavReader::Status WavReader::feed(const uint8_t *data, std::size_t size) {
  if (data == nullptr)
    size = 0;
  while (size > 0 && status_ != Status::kError) {
    switch (stage_) {
    case Stage::kRiff:
    case Stage::kChunkHeader:
    case Stage::kFmt: {
      const std::size_t n = std::min(size, header_need_ - header_.size());
      header_.insert(header_.end(), data, data + n);
      data += n;
      size -= n;
      bytes_fed_ += n;
      if (header_.size() < header_need_)
        break;
      const bool ok = stage_ == Stage::kRiff          ? parse_riff()
                      : stage_ == Stage::kChunkHeader ? parse_chunk_header()
                                                      : parse_fmt();
      if (!ok)
        return status_;
      break;
    }
    case Stage::kSkip: {
      const auto n = static_cast<std::size_t>(std::min<uint64_t>(size, skip_));
      data += n;
      size -= n;
      bytes_fed_ += n;
      skip_ -= n;
      if (skip_ == 0) {
        stage_ = Stage::kChunkHeader;
        header_need_ = kChunkHeaderBytes;
      }
      break;
    }
    case Stage::kData: {
      std::size_t n = size;
      if (!data_unknown_length_)
        n = static_cast<std::size_t>(std::min<uint64_t>(size, data_remaining_));
      audio_.insert(audio_.end(), data, data + n);
      data += n;
      size -= n;
      bytes_fed_ += n;
      audio_total_ += n;
      if (!data_unknown_length_) {
        data_remaining_ -= n;
        if (data_remaining_ == 0) {
          stage_ = Stage::kDone;
          status_ = Status::kDone;
        }
      }
      break;
    }
    case Stage::kDone:
      /* Bytes after the declared data chunk (other chunks, junk): ignored. */
      bytes_fed_ += size;
      size = 0;
      break;
    }
  }
  return status_;
}

bool WavReader::parse_riff() {
  const uint8_t *p = header_.data();
  if (!same_id(p, "RIFF")) {
    if (same_id(p, "RIFX"))
      return fail("big-endian WAV (RIFX) is not supported");
    if (same_id(p, "RF64"))
      return fail("RF64 WAV is not supported");
    return fail("not a WAV stream: starts with " + describe_id(p) + ", not 'RIFF'");
  }
  if (!same_id(p + 8, "WAVE"))
    return fail("RIFF form " + describe_id(p + 8) + " is not 'WAVE'");
  const uint32_t riff_size = le32(p + 4);
  riff_size_unknown_ = riff_size == 0 || riff_size == kUnknownSize;
  if (!riff_size_unknown_ && riff_size < 4)
    return fail("RIFF size " + std::to_string(riff_size) + " is too small");
  header_.clear();
  header_need_ = kChunkHeaderBytes;
  stage_ = Stage::kChunkHeader;
  return true;
}

bool WavReader::parse_chunk_header() {
  const uint8_t *p = header_.data();
  for (int i = 0; i < 4; i++) {
    if (p[i] < 0x20 || p[i] > 0x7E)
      return fail("malformed chunk id (" + describe_id(p) + ") at byte " +
                  std::to_string(bytes_fed_ - kChunkHeaderBytes) + ": corrupt or not a WAV stream");
  }
  const uint32_t size = le32(p + 4);
  if (same_id(p, "data")) {
    if (!has_format_)
      return fail("data chunk before the fmt chunk");
    const auto block_align = static_cast<uint32_t>(format_.bytes_per_frame());
    const bool sox_unknown = size == kSoxUnknownSize / block_align * block_align;
    data_unknown_length_ = size == 0 || size == kUnknownSize || sox_unknown || riff_size_unknown_;
    data_declared_ = data_unknown_length_ ? 0 : size;
    data_remaining_ = data_declared_;
    header_.clear();
    header_.shrink_to_fit();
    stage_ = Stage::kData;
    status_ = Status::kAudio;
    return true;
  }
  const bool fmt = same_id(p, "fmt ");
  if (fmt && has_format_)
    return fail("second fmt chunk");
  const uint64_t pad = size & 1u;
  non_audio_ += kChunkHeaderBytes + size + pad;
  if (non_audio_ > kWavMaxNonAudioBytes)
    return fail("chunk " + describe_id(p) + " of " + std::to_string(size) + " bytes: more than " +
                std::to_string(kWavMaxNonAudioBytes) +
                " bytes of non-audio chunks before the data");
  header_.clear();
  if (fmt) {
    if (size < kFmtMinBytes)
      return fail("fmt chunk of " + std::to_string(size) + " bytes is too short (" +
                  std::to_string(kFmtMinBytes) + " at least)");
    fmt_pad_ = pad != 0;
    header_need_ = size;
    stage_ = Stage::kFmt;
    return true;
  }
  skip_ = size + pad;
  if (skip_ == 0) {
    header_need_ = kChunkHeaderBytes;
    stage_ = Stage::kChunkHeader;
  } else {
    stage_ = Stage::kSkip;
  }
  return true;
}

bool WavReader::parse_fmt() {
  const uint8_t *p = header_.data();
  const std::size_t size = header_.size();
  uint16_t tag = le16(p);
  const int channels = le16(p + 2);
  const uint32_t rate = le32(p + 4);
  const int block_align = le16(p + 12);
  const int bits = le16(p + 14);

  if (tag == kTagExtensible) {
    if (size < kFmtExtensibleBytes)
      return fail("WAVE_FORMAT_EXTENSIBLE fmt chunk of " + std::to_string(size) +
                  " bytes is too short (" + std::to_string(kFmtExtensibleBytes) + " needed)");
    const int extension = le16(p + 16);
    if (extension < 22)
      return fail("WAVE_FORMAT_EXTENSIBLE extension of " + std::to_string(extension) +
                  " bytes is too short (22 needed)");
    const int valid_bits = le16(p + 18);
    const uint16_t sub = le16(p + 24);
    if (!std::equal(p + 26, p + 40, kGuidTail) || (sub != kTagPcm && sub != kTagFloat))
      return fail("WAVE_FORMAT_EXTENSIBLE sub-format is neither PCM nor IEEE float");
    if (valid_bits > bits)
      return fail(std::to_string(valid_bits) + " valid bits per sample exceed the " +
                  std::to_string(bits) + "-bit container");
    tag = sub;
  }

  WavFormat format;
  if (tag == kTagPcm) {
    switch (bits) {
    case 8:
      format.format = WavSampleFormat::kU8;
      break;
    case 16:
      format.format = WavSampleFormat::kS16;
      break;
    case 24:
      format.format = WavSampleFormat::kS24;
      break;
    case 32:
      format.format = WavSampleFormat::kS32;
      break;
    default:
      return fail("PCM with " + std::to_string(bits) +
                  " bits per sample is not supported (8, 16, 24 or 32)");
    }
  } else if (tag == kTagFloat) {
    if (bits != 32)
      return fail("IEEE float with " + std::to_string(bits) +
                  " bits per sample is not supported (32 only)");
    format.format = WavSampleFormat::kF32;
  } else {
    return fail("format tag " + hex16(tag) + tag_name(tag) +
                " is not supported: PCM (1), IEEE float (3) or extensible (0xFFFE) only");
  }
  if (channels < 1 || channels > kWavMaxChannels)
    return fail(std::to_string(channels) + " channels: 1 to " + std::to_string(kWavMaxChannels) +
                " are supported");
  if (rate < 1 || rate > static_cast<uint32_t>(kWavMaxRate))
    return fail("sample rate " + std::to_string(rate) + " Hz is outside 1.." +
                std::to_string(kWavMaxRate));
  format.channels = channels;
  format.rate = static_cast<int>(rate);
  if (block_align != format.bytes_per_frame())
    return fail("block align " + std::to_string(block_align) + " does not match " +
                std::to_string(channels) + " channels of " +
                std::to_string(format.bytes_per_sample()) + " bytes");

  format_ = format;
  has_format_ = true;
  header_.clear();
  header_.shrink_to_fit();
  if (fmt_pad_) {
    skip_ = 1;
    stage_ = Stage::kSkip;
  } else {
    header_need_ = kChunkHeaderBytes;
    stage_ = Stage::kChunkHeader;
  }
  return true;
}

std::vector<uint8_t> WavReader::take_audio() {
  std::vector<uint8_t> out;
  if (!has_format_ || audio_.empty())
    return out;
  const auto bpf = static_cast<std::size_t>(format_.bytes_per_frame());
  const std::size_t whole = audio_.size() - audio_.size() % bpf;
  if (whole == audio_.size()) {
    out.swap(audio_);
  } else if (whole > 0) {
    out.assign(audio_.begin(), audio_.begin() + static_cast<std::ptrdiff_t>(whole));
    audio_.erase(audio_.begin(), audio_.begin() + static_cast<std::ptrdiff_t>(whole));
  }
  return out;
}

bool WavReader::finish(std::string *why) {
  auto refuse = [&](std::string reason) {
    if (status_ != Status::kError)
      fail(std::move(reason));
    if (why != nullptr)
      *why = error_;
    return false;
  };
  if (status_ == Status::kError)
    return refuse(error_);
  switch (stage_) {
  case Stage::kRiff:
    if (bytes_fed_ == 0)
      return refuse("empty stream: no WAV header");
    return refuse("stream ended inside the RIFF header, after " + std::to_string(bytes_fed_) +
                  " bytes");
  case Stage::kFmt:
    return refuse("stream ended inside the fmt chunk");
  case Stage::kChunkHeader:
  case Stage::kSkip:
    return refuse(has_format_ ? "no data chunk before the end of the stream"
                              : "no fmt chunk before the end of the stream");
  case Stage::kData:
    if (!data_unknown_length_)
      return refuse("data chunk truncated: " + std::to_string(audio_total_) + " of " +
                    std::to_string(data_declared_) + " bytes");
    break;
  case Stage::kDone:
    break;
  }
  const auto bpf = static_cast<std::size_t>(format_.bytes_per_frame());
  if (audio_.size() % bpf != 0)
    return refuse("stream ends with a partial frame: " + std::to_string(audio_.size() % bpf) +
                  " bytes of a " + std::to_string(bpf) + "-byte frame");
  stage_ = Stage::kDone;
  status_ = Status::kDone;
  return true;
}

} /* namespace voicekit::reply */
