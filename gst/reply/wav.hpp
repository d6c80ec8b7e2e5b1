/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * WAV (RIFF/WAVE) for replyonpause's command handler: a canonical header for
 * the utterance written to the child's stdin, and an incremental parser for the
 * reply read from its stdout, which arrives through a pipe in arbitrary pieces.
 * Plain C++: no GStreamer types.
 */
#ifndef GST_REPLY_WAV_HPP
#define GST_REPLY_WAV_HPP

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace voicekit::reply {

/* Little-endian PCM samples; kU8 is unsigned, the others signed; kF32 is IEEE float. */
enum class WavSampleFormat { kU8, kS16, kS24, kS32, kF32 };

struct WavFormat {
  int rate = 0;     /* frames per second */
  int channels = 0; /* interleaved */
  WavSampleFormat format = WavSampleFormat::kS16;

  int bytes_per_sample() const;
  int bytes_per_frame() const { return channels * bytes_per_sample(); }
};

constexpr int kWavMaxRate = 768000;
constexpr int kWavMaxChannels = 32;
/* Bytes of chunks other than `data` (fmt, LIST, fact, ...) accepted before the
 * audio: a bound on what garbage can make the reader hold or skip. */
constexpr std::size_t kWavMaxNonAudioBytes = 1024 * 1024;

/* The canonical 44-byte header (RIFF, a 16-byte fmt chunk with format tag 1
 * for PCM or 3 for float, then the data chunk header) for `data_bytes` of
 * audio. A RIFF size that would not fit 32 bits is written as 0xFFFFFFFF. */
std::vector<uint8_t> wav_header(const WavFormat &format, uint32_t data_bytes);

/* Parses a WAV byte stream fed in pieces of any size (even one byte at a time).
 *
 * Accepts RIFF/WAVE with a fmt chunk of format tag 1 (PCM: 8-bit unsigned,
 * 16/24/32-bit signed), 3 (32-bit float) or 0xFFFE (WAVE_FORMAT_EXTENSIBLE with
 * the PCM or IEEE float sub-format); rate 1..768000, 1..32 channels, block align
 * equal to channels * bytes per sample. Other chunks before `data` (LIST, fact,
 * ...) are skipped, at most kWavMaxNonAudioBytes in all.
 *
 * The length is unknown, and the audio runs to the end of the stream, when the
 * data chunk size is 0 or 0xFFFFFFFF (ffmpeg on a pipe) or 0x7FFFF000 rounded
 * down to whole frames (sox on a pipe), or the RIFF size is 0 or 0xFFFFFFFF.
 * Otherwise the data chunk ends at its declared size (status kDone) and
 * whatever follows is ignored. Memory is bounded by the chunk limit plus the
 * audio not yet taken. */
class WavReader {
public:
  enum class Status {
    kNeedMore, /* header not complete yet */
    kAudio,    /* header parsed, audio flowing */
    kDone,     /* the data chunk is complete (declared size reached) */
    kError,    /* malformed: see error() */
  };

  Status feed(const uint8_t *data, std::size_t size);
  Status status() const { return status_; }
  const std::string &error() const { return error_; } /* why, when kError */

  bool has_format() const { return has_format_; }
  const WavFormat &format() const { return format_; }

  /* Audio bytes parsed so far, whole frames only: a partial frame stays until
   * the rest of it arrives. */
  std::vector<uint8_t> take_audio();

  /* End of the byte stream. True if a header and a data chunk were seen and
   * nothing is malformed: no error, a data chunk of declared size complete, no
   * partial frame left. Otherwise false with the reason in *why (may be null);
   * the status becomes kError. */
  bool finish(std::string *why);

  /* Audio bytes received in the data chunk, taken or not. */
  uint64_t audio_bytes_total() const { return audio_total_; }

private:
  enum class Stage { kRiff, kChunkHeader, kFmt, kSkip, kData, kDone };

  bool fail(std::string why); /* always false */
  bool parse_riff();
  bool parse_chunk_header();
  bool parse_fmt();

  Stage stage_ = Stage::kRiff;
  Status status_ = Status::kNeedMore;
  std::string error_;
  std::vector<uint8_t> header_; /* bytes of the header or fmt chunk being collected */
  std::size_t header_need_ = 12;
  uint64_t skip_ = 0;      /* bytes of an unknown chunk (and pad) still to skip */
  uint64_t non_audio_ = 0; /* bytes of chunks (with headers) before `data` */
  bool riff_size_unknown_ = false;
  bool has_format_ = false;
  bool fmt_pad_ = false; /* the fmt chunk has an odd size: one pad byte follows */
  WavFormat format_;
  bool data_unknown_length_ = false;
  uint64_t data_remaining_ = 0; /* declared length only */
  uint64_t data_declared_ = 0;
  uint64_t audio_total_ = 0;
  uint64_t bytes_fed_ = 0;
  std::vector<uint8_t> audio_; /* not yet taken */
};

const char *wav_sample_format_name(WavSampleFormat format);

} /* namespace voicekit::reply */

#endif /* GST_REPLY_WAV_HPP */
