/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * Unit tests of the WAV header writer and the incremental reader
 * (gst/reply/wav.hpp): every sample format, any split of the stream, the
 * chunks real writers add, unknown lengths, and malformed input.
 */
#include <gst/reply/wav.hpp>

#include <gtest/gtest.h>

#include <random>
#include <string>

using namespace voicekit::reply;

namespace {

using Bytes = std::vector<uint8_t>;

const WavSampleFormat kAllFormats[] = {WavSampleFormat::kU8, WavSampleFormat::kS16,
                                       WavSampleFormat::kS24, WavSampleFormat::kS32,
                                       WavSampleFormat::kF32};

WavFormat make_format(int rate, int channels, WavSampleFormat sample_format) {
  WavFormat format;
  format.rate = rate;
  format.channels = channels;
  format.format = sample_format;
  return format;
}

Bytes pattern(std::size_t size, uint32_t seed = 1) {
  Bytes out(size);
  std::mt19937 random(seed);
  for (auto &byte : out)
    byte = static_cast<uint8_t>(random());
  return out;
}

void append(Bytes &out, const Bytes &more) {
  out.insert(out.end(), more.begin(), more.end());
}

void append_id(Bytes &out, const char *id) {
  out.insert(out.end(), id, id + 4);
}

void append16(Bytes &out, uint32_t v) {
  out.push_back(static_cast<uint8_t>(v & 0xFF));
  out.push_back(static_cast<uint8_t>(v >> 8));
}

void append32(Bytes &out, uint32_t v) {
  append16(out, v & 0xFFFF);
  append16(out, v >> 16);
}

Bytes riff(uint32_t size) {
  Bytes out;
  append_id(out, "RIFF");
  append32(out, size);
  append_id(out, "WAVE");
  return out;
}

/* A chunk with its pad byte when the size is odd. */
Bytes chunk(const char *id, const Bytes &payload) {
  Bytes out;
  append_id(out, id);
  append32(out, static_cast<uint32_t>(payload.size()));
  append(out, payload);
  if (payload.size() % 2 != 0)
    out.push_back(0);
  return out;
}

Bytes chunk_header(const char *id, uint32_t size) {
  Bytes out;
  append_id(out, id);
  append32(out, size);
  return out;
}

Bytes fmt_payload(uint32_t tag, uint32_t channels, uint32_t rate, uint32_t bits,
                  uint32_t block_align = 0) {
  if (block_align == 0)
    block_align = channels * bits / 8;
  Bytes out;
  append16(out, tag);
  append16(out, channels);
  append32(out, rate);
  append32(out, rate * block_align);
  append16(out, block_align);
  append16(out, bits);
  return out;
}

Bytes extensible_payload(uint32_t channels, uint32_t rate, uint32_t bits, uint32_t valid_bits,
                         uint32_t sub_format) {
  Bytes out = fmt_payload(0xFFFE, channels, rate, bits);
  append16(out, 22);
  append16(out, valid_bits);
  append32(out, channels == 1 ? 0x4 : 0x3); /* channel mask */
  append16(out, sub_format);
  append(out, {0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71});
  return out;
}

struct Parsed {
  WavReader::Status status = WavReader::Status::kNeedMore; /* after the last feed */
  Bytes audio;
  bool finished = false;
  std::string why;
  std::vector<WavReader::Status> statuses; /* distinct, in order */
};

/* Feeds `stream` in pieces of `piece` bytes (0: random sizes 1..97), taking
 * the audio after every piece and checking it is whole frames. */
Parsed parse(const Bytes &stream, std::size_t piece, WavReader *out_reader = nullptr) {
  WavReader local;
  WavReader &reader = out_reader != nullptr ? *out_reader : local;
  Parsed parsed;
  std::mt19937 random(7);
  std::size_t offset = 0;
  do {
    std::size_t n = piece != 0 ? piece : 1 + random() % 97;
    n = std::min(n, stream.size() - offset);
    parsed.status = reader.feed(stream.data() + offset, n);
    offset += n;
    if (parsed.statuses.empty() || parsed.statuses.back() != parsed.status)
      parsed.statuses.push_back(parsed.status);
    Bytes audio = reader.take_audio();
    if (reader.has_format()) {
      EXPECT_EQ(audio.size() % static_cast<std::size_t>(reader.format().bytes_per_frame()), 0u);
    } else {
      EXPECT_TRUE(audio.empty());
    }
    append(parsed.audio, audio);
  } while (offset < stream.size());
  parsed.finished = reader.finish(&parsed.why);
  append(parsed.audio, reader.take_audio());
  return parsed;
}

/* The reason parsing `stream` fails, at feed time or at finish. */
std::string failure(const Bytes &stream) {
  WavReader reader;
  reader.feed(stream.data(), stream.size());
  std::string why;
  EXPECT_FALSE(reader.finish(&why));
  EXPECT_EQ(reader.status(), WavReader::Status::kError);
  EXPECT_EQ(reader.error(), why);
  EXPECT_FALSE(why.empty());
  return why;
}

/* A stream that must fail while being fed (not only at finish), byte by byte. */
std::string feed_failure(const Bytes &stream) {
  WavReader reader;
  WavReader::Status status = WavReader::Status::kNeedMore;
  for (uint8_t byte : stream) {
    status = reader.feed(&byte, 1);
    if (status == WavReader::Status::kError)
      break;
  }
  EXPECT_EQ(status, WavReader::Status::kError);
  EXPECT_TRUE(reader.take_audio().empty());
  return reader.error();
}

#define EXPECT_CONTAINS(text, part)                                                                \
  EXPECT_NE(std::string(text).find(part), std::string::npos) << "in: " << (text)

} /* namespace */

TEST(WavFormat, BytesPerSampleAndFrame) {
  EXPECT_EQ(make_format(8000, 1, WavSampleFormat::kU8).bytes_per_frame(), 1);
  EXPECT_EQ(make_format(8000, 2, WavSampleFormat::kS16).bytes_per_frame(), 4);
  EXPECT_EQ(make_format(8000, 2, WavSampleFormat::kS24).bytes_per_frame(), 6);
  EXPECT_EQ(make_format(8000, 3, WavSampleFormat::kS32).bytes_per_frame(), 12);
  EXPECT_EQ(make_format(8000, 1, WavSampleFormat::kF32).bytes_per_sample(), 4);
}

TEST(WavHeader, CanonicalBytes) {
  /* The header sox writes for 0.1 s of 16 kHz mono S16 to a file. */
  const Bytes expected = {0x52, 0x49, 0x46, 0x46, 0xa4, 0x0c, 0x00, 0x00, 0x57, 0x41, 0x56,
                          0x45, 0x66, 0x6d, 0x74, 0x20, 0x10, 0x00, 0x00, 0x00, 0x01, 0x00,
                          0x01, 0x00, 0x80, 0x3e, 0x00, 0x00, 0x00, 0x7d, 0x00, 0x00, 0x02,
                          0x00, 0x10, 0x00, 0x64, 0x61, 0x74, 0x61, 0x80, 0x0c, 0x00, 0x00};
  EXPECT_EQ(wav_header(make_format(16000, 1, WavSampleFormat::kS16), 3200), expected);
}

TEST(WavHeader, FloatTagAndOversizedLength) {
  const Bytes header = wav_header(make_format(48000, 2, WavSampleFormat::kF32), 0xFFFFFFF0u);
  ASSERT_EQ(header.size(), 44u);
  EXPECT_EQ(header[20], 3); /* IEEE float */
  EXPECT_EQ(header[34], 32);
  /* 36 + data would overflow the RIFF size: written as "unknown". */
  EXPECT_EQ(Bytes(header.begin() + 4, header.begin() + 8), Bytes(4, 0xFF));
}

TEST(WavReader, HeaderRoundTripEveryFormat) {
  for (WavSampleFormat sample_format : kAllFormats) {
    for (int channels : {1, 2, 6}) {
      for (int rate : {8000, 44100, 768000}) {
        SCOPED_TRACE(std::string(wav_sample_format_name(sample_format)) + " x" +
                     std::to_string(channels) + " @" + std::to_string(rate));
        const WavFormat format = make_format(rate, channels, sample_format);
        const Bytes audio = pattern(static_cast<std::size_t>(format.bytes_per_frame()) * 37);
        Bytes stream = wav_header(format, static_cast<uint32_t>(audio.size()));
        ASSERT_EQ(stream.size(), 44u);
        EXPECT_EQ(stream[20], sample_format == WavSampleFormat::kF32 ? 3 : 1);
        append(stream, audio);

        WavReader reader;
        const Parsed parsed = parse(stream, 0, &reader);
        EXPECT_TRUE(parsed.finished) << parsed.why;
        EXPECT_EQ(parsed.status, WavReader::Status::kDone);
        ASSERT_TRUE(reader.has_format());
        EXPECT_EQ(reader.format().rate, rate);
        EXPECT_EQ(reader.format().channels, channels);
        EXPECT_EQ(reader.format().format, sample_format);
        EXPECT_EQ(parsed.audio, audio);
        EXPECT_EQ(reader.audio_bytes_total(), audio.size());
      }
    }
  }
}

TEST(WavReader, StatusProgression) {
  const WavFormat format = make_format(16000, 1, WavSampleFormat::kS16);
  const Bytes audio = pattern(100);
  Bytes stream = wav_header(format, 100);
  append(stream, audio);
  WavReader reader;
  EXPECT_EQ(reader.status(), WavReader::Status::kNeedMore);
  EXPECT_FALSE(reader.has_format());
  EXPECT_EQ(reader.feed(stream.data(), 43), WavReader::Status::kNeedMore);
  EXPECT_TRUE(reader.has_format()); /* fmt parsed, data header not complete */
  EXPECT_EQ(reader.feed(stream.data() + 43, 1), WavReader::Status::kAudio);
  EXPECT_EQ(reader.feed(stream.data() + 44, 99), WavReader::Status::kAudio);
  EXPECT_EQ(reader.feed(stream.data() + 143, 1), WavReader::Status::kDone);
  EXPECT_EQ(reader.status(), WavReader::Status::kDone);
  EXPECT_EQ(reader.take_audio(), audio);
  EXPECT_TRUE(reader.finish(nullptr));
}

TEST(WavReader, AnySplitGivesTheSameResult) {
  /* Stereo S24 (6-byte frames), a LIST chunk of odd size (pad byte), an
   * unknown chunk, then audio: every split must give the same audio. */
  const Bytes audio = pattern(6 * 1001, 3);
  Bytes stream = riff(0);
  append(stream, chunk("LIST", pattern(25, 4)));
  append(stream, chunk("fmt ", fmt_payload(1, 2, 22050, 24)));
  append(stream, chunk("junk", pattern(9, 5)));
  append(stream, chunk_header("data", static_cast<uint32_t>(audio.size())));
  append(stream, audio);

  const Parsed at_once = parse(stream, stream.size());
  ASSERT_TRUE(at_once.finished) << at_once.why;
  EXPECT_EQ(at_once.audio, audio);
  for (std::size_t piece : {std::size_t{1}, std::size_t{2}, std::size_t{5}, std::size_t{0}}) {
    SCOPED_TRACE("pieces of " + std::to_string(piece));
    const Parsed split = parse(stream, piece);
    EXPECT_TRUE(split.finished) << split.why;
    EXPECT_EQ(split.audio, at_once.audio);
    EXPECT_EQ(split.statuses.back(), at_once.statuses.back());
  }
}

TEST(WavReader, ExtensiblePcmAndFloat) {
  struct Case {
    uint32_t bits, valid, sub;
    WavSampleFormat expected;
  };
  for (const Case &c :
       {Case{16, 16, 1, WavSampleFormat::kS16}, Case{24, 24, 1, WavSampleFormat::kS24},
        Case{32, 24, 1, WavSampleFormat::kS32}, Case{32, 32, 3, WavSampleFormat::kF32},
        Case{8, 8, 1, WavSampleFormat::kU8}}) {
    SCOPED_TRACE(std::to_string(c.bits) + " bits, sub-format " + std::to_string(c.sub));
    const Bytes audio = pattern(c.bits / 8 * 2 * 50);
    Bytes stream = riff(1000);
    append(stream, chunk("fmt ", extensible_payload(2, 32000, c.bits, c.valid, c.sub)));
    append(stream, chunk("fact", {1, 0, 0, 0}));
    append(stream, chunk_header("data", static_cast<uint32_t>(audio.size())));
    append(stream, audio);
    WavReader reader;
    const Parsed parsed = parse(stream, 3, &reader);
    EXPECT_TRUE(parsed.finished) << parsed.why;
    EXPECT_EQ(reader.format().format, c.expected);
    EXPECT_EQ(reader.format().channels, 2);
    EXPECT_EQ(reader.format().rate, 32000);
    EXPECT_EQ(parsed.audio, audio);
  }
}

TEST(WavReader, SoxPipeHeaderMeansUnknownLength) {
  /* What `sox -n -r 16000 -c 2 -b 24 -t wav - synth ...` writes to a pipe:
   * extensible fmt, a fact chunk, data size 0x7FFFF000 rounded down to whole
   * frames (0x7FFFEFFC); the stream just ends. */
  Bytes stream = riff(0x7FFFF044);
  append(stream, chunk("fmt ", extensible_payload(2, 16000, 24, 24, 1)));
  append(stream, chunk("fact", {0xaa, 0x52, 0x55, 0x15}));
  append(stream, chunk_header("data", 0x7FFFEFFC));
  const Bytes audio = pattern(6 * 160);
  append(stream, audio);
  const Parsed parsed = parse(stream, 0);
  EXPECT_TRUE(parsed.finished) << parsed.why;
  EXPECT_EQ(parsed.audio, audio);

  /* The same marker for mono S16 (0x7FFFF000 itself). */
  Bytes mono = riff(0x7FFFF024);
  append(mono, chunk("fmt ", fmt_payload(1, 1, 16000, 16)));
  append(mono, chunk_header("data", 0x7FFFF000));
  append(mono, pattern(64));
  EXPECT_TRUE(parse(mono, 0).finished);

  /* Any other large declared size is a real length: short means truncated. */
  Bytes other = riff(0x7FFFF024);
  append(other, chunk("fmt ", fmt_payload(1, 1, 16000, 16)));
  append(other, chunk_header("data", 0x7FFFEFFE));
  append(other, pattern(64));
  EXPECT_CONTAINS(failure(other), "truncated");
}

TEST(WavReader, OddSizedChunksArePadded) {
  /* An odd fmt chunk (the 16 standard bytes and one more) and an odd unknown
   * chunk: their pad bytes must not be read as the next chunk id. */
  Bytes fmt = fmt_payload(1, 1, 8000, 8);
  fmt.push_back(0x00); /* 17 bytes: a tolerated extra byte */
  Bytes stream = riff(4 + 26 + 12 + 20);
  append(stream, chunk("fmt ", fmt));
  append(stream, chunk("odd ", pattern(3)));
  const Bytes audio = pattern(11); /* U8 mono: odd audio is whole frames */
  append(stream, chunk_header("data", 11));
  append(stream, audio);
  stream.push_back(0); /* the data chunk's own pad byte: trailing, ignored */
  const Parsed parsed = parse(stream, 1);
  EXPECT_TRUE(parsed.finished) << parsed.why;
  EXPECT_EQ(parsed.audio, audio);
  EXPECT_EQ(parsed.status, WavReader::Status::kDone);

  /* Without the pad byte the reader is one byte off: caught as garbage. */
  Bytes unpadded = riff(0);
  append(unpadded, chunk("fmt ", fmt_payload(1, 1, 8000, 8)));
  append(unpadded, chunk_header("odd ", 3));
  append(unpadded, {1, 2, 3});
  append(unpadded, chunk_header("data", 4));
  append(unpadded, {1, 2, 3, 4});
  EXPECT_CONTAINS(failure(unpadded), "malformed chunk id");
}

TEST(WavReader, ListChunkSkipped) {
  Bytes list_payload;
  append_id(list_payload, "INFO");
  append(list_payload, chunk("ISFT", {'L', 'a', 'v', 'f', '6', '0', 0}));
  Bytes stream = riff(0);
  append(stream, chunk("fmt ", fmt_payload(1, 1, 16000, 16)));
  append(stream, chunk("LIST", list_payload));
  const Bytes audio = pattern(320);
  append(stream, chunk_header("data", 320));
  append(stream, audio);
  const Parsed parsed = parse(stream, 0);
  EXPECT_TRUE(parsed.finished) << parsed.why;
  EXPECT_EQ(parsed.audio, audio);
}

TEST(WavReader, UnknownLengthReadsToEndOfStream) {
  const Bytes audio = pattern(4 * 3000);
  struct Case {
    uint32_t riff_size, data_size;
  };
  /* ffmpeg on a pipe: both 0xFFFFFFFF; older writers: 0; RIFF unknown only. */
  for (const Case &c : {Case{0xFFFFFFFF, 0xFFFFFFFF}, Case{0, 0}, Case{1000, 0},
                        Case{0xFFFFFFFF, 400}, Case{1000, 0xFFFFFFFF}}) {
    SCOPED_TRACE(std::to_string(c.riff_size) + "/" + std::to_string(c.data_size));
    Bytes stream = riff(c.riff_size);
    append(stream, chunk("fmt ", fmt_payload(1, 2, 16000, 16)));
    append(stream, chunk_header("data", c.data_size));
    append(stream, audio);
    WavReader reader;
    const Parsed parsed = parse(stream, 0, &reader);
    EXPECT_EQ(parsed.status, WavReader::Status::kAudio); /* never done before the end */
    EXPECT_TRUE(parsed.finished) << parsed.why;
    EXPECT_EQ(reader.status(), WavReader::Status::kDone);
    EXPECT_EQ(parsed.audio, audio);
    EXPECT_EQ(reader.audio_bytes_total(), audio.size());
  }
}

TEST(WavReader, EmptyAudioOfUnknownLength) {
  Bytes stream = riff(0xFFFFFFFF);
  append(stream, chunk("fmt ", fmt_payload(3, 1, 24000, 32)));
  append(stream, chunk_header("data", 0xFFFFFFFF));
  const Parsed parsed = parse(stream, 0);
  EXPECT_TRUE(parsed.finished) << parsed.why;
  EXPECT_TRUE(parsed.audio.empty());
}

TEST(WavReader, DeclaredSizeHonouredTrailingJunkIgnored) {
  const WavFormat format = make_format(8000, 1, WavSampleFormat::kS16);
  const Bytes audio = pattern(200);
  Bytes stream = wav_header(format, 200);
  append(stream, audio);
  append(stream, chunk("LIST", pattern(30)));
  append(stream, pattern(77, 9)); /* garbage after it */
  WavReader reader;
  const Parsed parsed = parse(stream, 0, &reader);
  EXPECT_EQ(parsed.status, WavReader::Status::kDone);
  EXPECT_TRUE(parsed.finished) << parsed.why;
  EXPECT_EQ(parsed.audio, audio);
  EXPECT_EQ(reader.audio_bytes_total(), 200u);
}

TEST(WavReader, PartialFrameKeptUntilComplete) {
  const WavFormat format = make_format(16000, 2, WavSampleFormat::kS16); /* 4-byte frames */
  const Bytes audio = pattern(12);
  Bytes stream = wav_header(format, 12);
  append(stream, audio);
  WavReader reader;
  reader.feed(stream.data(), 44 + 5);
  EXPECT_EQ(reader.take_audio(), Bytes(audio.begin(), audio.begin() + 4));
  EXPECT_EQ(reader.audio_bytes_total(), 5u);
  reader.feed(stream.data() + 49, 2); /* 7 bytes: still one whole frame only */
  EXPECT_TRUE(reader.take_audio().empty());
  reader.feed(stream.data() + 51, 1); /* 8 */
  EXPECT_EQ(reader.take_audio(), Bytes(audio.begin() + 4, audio.begin() + 8));
  reader.feed(stream.data() + 52, 4);
  EXPECT_EQ(reader.take_audio(), Bytes(audio.begin() + 8, audio.end()));
  EXPECT_TRUE(reader.finish(nullptr));
}

TEST(WavReader, LeftoverPartialFrameFailsAtFinish) {
  Bytes stream = riff(0);
  append(stream, chunk("fmt ", fmt_payload(1, 2, 16000, 16)));
  append(stream, chunk_header("data", 0));
  append(stream, pattern(10)); /* 2.5 frames */
  WavReader reader;
  reader.feed(stream.data(), stream.size());
  EXPECT_EQ(reader.take_audio().size(), 8u);
  std::string why;
  EXPECT_FALSE(reader.finish(&why));
  EXPECT_CONTAINS(why, "partial frame");
  EXPECT_EQ(reader.status(), WavReader::Status::kError);

  /* Same with a declared size that is not whole frames. */
  Bytes declared = riff(100);
  append(declared, chunk("fmt ", fmt_payload(1, 2, 16000, 16)));
  append(declared, chunk_header("data", 6));
  append(declared, pattern(6));
  EXPECT_CONTAINS(failure(declared), "partial frame");
}

TEST(WavReaderErrors, EmptyInput) {
  WavReader reader;
  std::string why;
  EXPECT_FALSE(reader.finish(&why));
  EXPECT_CONTAINS(why, "empty");
  EXPECT_EQ(reader.status(), WavReader::Status::kError);
  EXPECT_CONTAINS(failure(Bytes{'R', 'I', 'F'}), "inside the RIFF header");
}

TEST(WavReaderErrors, NotRiff) {
  const std::string text = "ID3\x04 this is an MP3, not a WAV file";
  EXPECT_CONTAINS(feed_failure(Bytes(text.begin(), text.end())), "not a WAV stream");
  Bytes rifx = riff(100);
  rifx[3] = 'X';
  EXPECT_CONTAINS(feed_failure(rifx), "RIFX");
  Bytes avi = riff(100);
  std::copy_n("AVI ", 4, avi.begin() + 8);
  EXPECT_CONTAINS(feed_failure(avi), "not 'WAVE'");
  EXPECT_CONTAINS(feed_failure(riff(2)), "too small");
}

TEST(WavReaderErrors, NoFmtOrNoData) {
  Bytes data_first = riff(0);
  append(data_first, chunk_header("data", 4));
  append(data_first, pattern(4));
  EXPECT_CONTAINS(feed_failure(data_first), "before the fmt chunk");

  Bytes only_list = riff(0);
  append(only_list, chunk("LIST", pattern(10)));
  EXPECT_CONTAINS(failure(only_list), "no fmt chunk");

  Bytes only_fmt = riff(0);
  append(only_fmt, chunk("fmt ", fmt_payload(1, 1, 16000, 16)));
  EXPECT_CONTAINS(failure(only_fmt), "no data chunk");

  Bytes cut_fmt = riff(0);
  append(cut_fmt, chunk("fmt ", fmt_payload(1, 1, 16000, 16)));
  cut_fmt.resize(cut_fmt.size() - 3);
  EXPECT_CONTAINS(failure(cut_fmt), "inside the fmt chunk");

  Bytes twice = riff(0);
  append(twice, chunk("fmt ", fmt_payload(1, 1, 16000, 16)));
  append(twice, chunk("fmt ", fmt_payload(1, 1, 16000, 16)));
  EXPECT_CONTAINS(feed_failure(twice), "second fmt");
}

TEST(WavReaderErrors, UnsupportedFormats) {
  auto with_fmt = [](const Bytes &payload) {
    Bytes stream = riff(0);
    append(stream, chunk("fmt ", payload));
    append(stream, chunk_header("data", 0));
    return stream;
  };
  EXPECT_CONTAINS(feed_failure(with_fmt(fmt_payload(7, 1, 8000, 8))), "0x0007 (mu-law)");
  EXPECT_CONTAINS(feed_failure(with_fmt(fmt_payload(0x55, 1, 8000, 16))), "not supported");
  EXPECT_CONTAINS(feed_failure(with_fmt(fmt_payload(1, 1, 8000, 12, 2))), "12 bits");
  EXPECT_CONTAINS(feed_failure(with_fmt(fmt_payload(3, 1, 8000, 64))), "IEEE float with 64");
  EXPECT_CONTAINS(feed_failure(with_fmt(fmt_payload(1, 0, 8000, 16, 2))), "0 channels");
  EXPECT_CONTAINS(feed_failure(with_fmt(fmt_payload(1, 33, 8000, 16))), "33 channels");
  EXPECT_CONTAINS(feed_failure(with_fmt(fmt_payload(1, 1, 0, 16))), "sample rate 0");
  EXPECT_CONTAINS(feed_failure(with_fmt(fmt_payload(1, 1, 768001, 16))), "sample rate 768001");
  EXPECT_CONTAINS(feed_failure(with_fmt(fmt_payload(1, 2, 8000, 16, 2))), "block align 2");
  EXPECT_CONTAINS(feed_failure(with_fmt(Bytes(14, 1))), "too short");

  Bytes bad_guid = extensible_payload(1, 8000, 16, 16, 1);
  bad_guid.back() ^= 0xFF;
  EXPECT_CONTAINS(feed_failure(with_fmt(bad_guid)), "sub-format");
  EXPECT_CONTAINS(feed_failure(with_fmt(extensible_payload(1, 8000, 16, 16, 2))), "sub-format");
  EXPECT_CONTAINS(feed_failure(with_fmt(extensible_payload(1, 8000, 16, 20, 1))), "valid bits");
  Bytes short_ext = extensible_payload(1, 8000, 16, 16, 1);
  short_ext.resize(30);
  EXPECT_CONTAINS(feed_failure(with_fmt(short_ext)), "too short");
}

TEST(WavReaderErrors, HugeNonAudioChunkRefusedAtItsHeader) {
  /* A 2 GiB LIST chunk: refused as soon as its 8-byte header is seen. */
  Bytes stream = riff(0);
  append(stream, chunk("fmt ", fmt_payload(1, 1, 16000, 16)));
  append(stream, chunk_header("LIST", 0x7FFFFFF0));
  EXPECT_CONTAINS(feed_failure(stream), "non-audio");

  /* Many small chunks adding up to more than 1 MiB are refused too. */
  Bytes many = riff(0);
  const Bytes payload(64 * 1024 - 8, 0);
  for (int i = 0; i < 17; i++)
    append(many, chunk("junk", payload));
  WavReader reader;
  EXPECT_EQ(reader.feed(many.data(), many.size()), WavReader::Status::kError);
  EXPECT_CONTAINS(reader.error(), "non-audio");

  /* A huge fmt chunk counts as well (bounded memory). */
  Bytes big_fmt = riff(0);
  append(big_fmt, chunk_header("fmt ", 0x40000000));
  EXPECT_CONTAINS(feed_failure(big_fmt), "non-audio");

  /* Just under the limit is fine. */
  Bytes under = riff(0);
  append(under, chunk("junk", Bytes(kWavMaxNonAudioBytes - 8 - 24, 0)));
  append(under, chunk("fmt ", fmt_payload(1, 1, 16000, 16)));
  append(under, chunk_header("data", 2));
  append(under, {1, 2});
  EXPECT_TRUE(parse(under, 4096).finished);
}

TEST(WavReaderErrors, TruncatedDataChunkAtFinish) {
  const WavFormat format = make_format(16000, 1, WavSampleFormat::kS16);
  Bytes stream = wav_header(format, 1000);
  append(stream, pattern(600));
  WavReader reader;
  EXPECT_EQ(reader.feed(stream.data(), stream.size()), WavReader::Status::kAudio);
  EXPECT_EQ(reader.take_audio().size(), 600u); /* what arrived is usable */
  std::string why;
  EXPECT_FALSE(reader.finish(&why));
  EXPECT_CONTAINS(why, "truncated: 600 of 1000");
}

TEST(WavReaderErrors, GarbageNeverCrashes) {
  /* Random bytes after a valid start, and random streams: always a clean
   * status, bounded memory (the reader keeps at most the fmt chunk and the
   * audio), an error text when kError. */
  std::mt19937 random(11);
  for (int round = 0; round < 300; round++) {
    Bytes stream;
    if (round % 3 != 0) {
      stream = riff(static_cast<uint32_t>(random()));
      if (round % 3 == 2)
        append(stream, chunk("fmt ", fmt_payload(1, 1 + random() % 4, 16000, 16)));
    }
    append(stream, pattern(random() % 2000, static_cast<uint32_t>(round)));
    WavReader reader;
    const Parsed parsed = parse(stream, 0, &reader);
    if (!parsed.finished) {
      EXPECT_FALSE(parsed.why.empty());
    }
    if (reader.status() == WavReader::Status::kError) {
      EXPECT_FALSE(reader.error().empty());
    }
    EXPECT_LE(parsed.audio.size(), stream.size());
  }
}

TEST(WavReaderErrors, FeedAfterErrorStaysError) {
  WavReader reader;
  const std::string text = "garbage!";
  EXPECT_EQ(reader.feed(reinterpret_cast<const uint8_t *>(text.data()), text.size()),
            WavReader::Status::kNeedMore);
  Bytes more(8, 0);
  EXPECT_EQ(reader.feed(more.data(), more.size()), WavReader::Status::kError);
  const std::string error = reader.error();
  const Bytes valid = wav_header(make_format(8000, 1, WavSampleFormat::kS16), 0);
  EXPECT_EQ(reader.feed(valid.data(), valid.size()), WavReader::Status::kError);
  EXPECT_EQ(reader.error(), error);
  EXPECT_FALSE(reader.has_format());
}
