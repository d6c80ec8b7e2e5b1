/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * handler=command: runs `command` per utterance (no shell), the utterance as
 * WAV on its stdin, WEBRTC_ID and UTTERANCE in its environment, its stdout
 * read as a WAV stream and queued as reply audio as it comes (not read while
 * max-reply-buffer of it waits to play). The process and its kill scope are
 * gst/reply/command.cpp; this file is the glue.
 */
#include "reply-handler.hpp"

#include "element-util.hpp"

#include <gst/audio/audio.h>
#include <gst/reply/command.hpp>
#include <gst/reply/wav-format.hpp>
#include <gst/reply/wav.hpp>

#include <algorithm>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#define GST_CAT_DEFAULT gst_voicekit_reply_on_pause_debug

namespace voicekit::replyonpause {

namespace {

/* A command's stdout over this is refused (an hour of 48 kHz stereo S16). */
constexpr guint64 MAX_COMMAND_OUTPUT = 3600ULL * 48000 * 4;
/* Time a command gets between SIGTERM and SIGKILL. */
constexpr std::chrono::milliseconds COMMAND_GRACE{200};

class CommandHandler final : public ReplyHandler {
public:
  using ReplyHandler::ReplyHandler;

  void run(const ReplyPtr &reply, GstSample *utterance, const Settings &settings) override;

private:
  bool fail(const Reply &reply, const std::string &why) {
    return host_.registry->fail(reply.utterance, why);
  }
};

/* The utterance as a WAV file; empty when WAV cannot carry its format. */
std::vector<uint8_t> wav_of_sample(GstSample *sample) {
  GstAudioInfo info;
  if (!gst_audio_info_from_caps(&info, gst_sample_get_caps(sample)))
    return {};
  const std::optional<reply::WavFormat> format = element::wav_format_of(info);
  if (!format)
    return {};
  GstBuffer *buffer = gst_sample_get_buffer(sample);
  GstMapInfo map;
  if (!gst_buffer_map(buffer, &map, GST_MAP_READ))
    return {};
  std::vector<uint8_t> wav = reply::wav_file(*format, map.data, map.size);
  gst_buffer_unmap(buffer, &map);
  return wav;
}

/* `argv[0]` exited with `status`, and the last lines it wrote to stderr. */
std::string describe_exit(const std::string &program, int status, std::string stderr_tail) {
  g_strstrip(stderr_tail.data());
  const std::string tail = stderr_tail.c_str(); /* up to what g_strstrip() left */
  return "`" + program + "` exited with status " + std::to_string(status) +
         (tail.empty() ? "" : ": " + tail);
}

void CommandHandler::run(const ReplyPtr &reply, GstSample *utterance, const Settings &settings) {
  gchar **argv_c = nullptr;
  GError *error = nullptr;
  if (settings.command.empty() ||
      !g_shell_parse_argv(settings.command.c_str(), nullptr, &argv_c, &error)) {
    std::string why = "handler=command needs a `command`";
    if (error != nullptr) {
      why = std::string("cannot split `command`: ") + error->message;
      g_error_free(error);
    }
    fail(*reply, why);
    return;
  }
  const std::vector<std::string> argv(argv_c, argv_c + g_strv_length(argv_c));
  g_strfreev(argv_c);
  const std::vector<uint8_t> input = wav_of_sample(utterance);
  if (input.empty()) {
    fail(*reply, "the utterance's audio format cannot be written as WAV");
    return;
  }
  std::vector<std::pair<std::string, std::string>> env = {
      {"UTTERANCE", std::to_string(reply->utterance)}};
  if (reply->context != nullptr)
    env.emplace_back("WEBRTC_ID", gst_voicekit_session_context_get_webrtc_id(reply->context));

  reply::Command command;
  std::string why;
  if (!command.start(argv, env, &why)) {
    fail(*reply, "cannot run `" + argv[0] + "`: " + why);
    return;
  }
  GST_DEBUG_OBJECT(host_.element, "utterance %" G_GUINT64_FORMAT ": started `%s` (pid %d)",
                   reply->utterance, argv[0].c_str(), command.pid());

  reply::WavReader reader;
  GstCaps *caps = nullptr;
  std::string output_error;
  using Take = reply::Command::Take;
  /* Each piece of stdout: parsed, queued (waiting for room: backpressure),
   * and the reply complete once the WAV's declared data length has come,
   * whatever the command (or what it left behind) does with stdout then. */
  auto on_output = [&](const uint8_t *data, size_t size) -> Take {
    if (reader.feed(data, size) == reply::WavReader::Status::kError) {
      output_error = "the reply on stdout is not WAV audio: " + reader.error();
      return Take::kStop;
    }
    if (reader.audio_bytes_total() > MAX_COMMAND_OUTPUT) {
      output_error = "the reply on stdout is too long";
      return Take::kStop;
    }
    if (!reader.has_format())
      return Take::kMore;
    std::vector<uint8_t> audio = reader.take_audio();
    if (!audio.empty()) {
      if (caps == nullptr)
        caps = element::caps_of_wav(reader.format());
      GstBuffer *buffer = element::buffer_of_vector(std::move(audio));
      GstSample *sample = gst_sample_new(buffer, caps, nullptr, nullptr);
      gst_buffer_unref(buffer);
      /* false: interrupted or failed meanwhile; stop reading */
      const bool queued = host_.registry->queue_audio(reply->utterance, sample);
      gst_sample_unref(sample);
      if (!queued)
        return Take::kStop;
    }
    return reader.status() == reply::WavReader::Status::kDone ? Take::kComplete : Take::kMore;
  };

  /* Command::run() moves it by the time queue_audio() waited, as the
   * registry does. */
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::microseconds(std::max<gint64>(
                            0, host_.registry->deadline_of(reply) - g_get_monotonic_time()));
  const reply::Command::Outcome outcome =
      command.run(input, on_output, deadline, g_cancellable_get_fd(reply->cancellable));
  g_cancellable_release_fd(reply->cancellable);
  if (caps != nullptr)
    gst_caps_unref(caps);

  switch (outcome) {
  case reply::Command::Outcome::kCompleted:
    /* its WAV was complete; it did not exit (killed): the reply is whole */
    host_.registry->end(reply->utterance);
    break;
  case reply::Command::Outcome::kExited: {
    std::string wav_error;
    if (command.exit_status() != 0)
      fail(*reply, describe_exit(argv[0], command.exit_status(), command.stderr_tail()));
    else if (!reader.finish(&wav_error))
      fail(*reply, "the reply on stdout is not WAV audio: " + wav_error);
    else
      host_.registry->end(reply->utterance);
    break;
  }
  case reply::Command::Outcome::kTimedOut:
    command.terminate(COMMAND_GRACE);
    fail(*reply, "`" + argv[0] + "` timed out");
    break;
  case reply::Command::Outcome::kOutputRefused:
    command.terminate(COMMAND_GRACE);
    if (!output_error.empty())
      fail(*reply, output_error);
    break;
  case reply::Command::Outcome::kCancelled:
    /* interrupted: SIGTERM, nothing to report */
    command.terminate(COMMAND_GRACE);
    break;
  }
}

} /* namespace */

std::unique_ptr<ReplyHandler> make_command_handler(const ReplyHost &host) {
  return std::make_unique<CommandHandler>(host);
}

} /* namespace voicekit::replyonpause */
