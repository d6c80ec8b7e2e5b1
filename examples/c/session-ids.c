/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * Reads the session of audio from C: the README's C lines in a whole program.
 * audiotestsrc ! sessiontag webrtc-id=caller-42 ! appsink; the appsink's
 * buffers, its pad and a scope opened around "application code" all name
 * caller-42. Every reference taken is released (g_autoptr), so this runs
 * clean under GST_TRACERS=leaks (tests/api/meson.build checks that).
 */
#include <gst/gst.h>
#include <gst/voicekit/voicekit.h>

/* Stands for an application's handler: it learns whose audio it holds from
 * the current context, as FastRTC's handlers do with get_current_context(). */
static void handler(void) {
  g_autoptr(GstVoiceKitSessionContext) cur = gst_voicekit_session_context_get_current();
  g_print("handler runs for %s\n",
          cur != NULL ? gst_voicekit_session_context_get_webrtc_id(cur) : "(no session)");
}

static int read_one_buffer(GstElement *appsink) {
  g_autoptr(GstSample) sample = NULL;
  g_signal_emit_by_name(appsink, "pull-sample", &sample);
  if (sample == NULL) {
    g_printerr("no sample\n");
    return 1;
  }
  GstBuffer *buffer = gst_sample_get_buffer(sample);
  g_autoptr(GstPad) pad = gst_element_get_static_pad(appsink, "sink");

  /* The README's C lines. */
  const gchar *id = gst_voicekit_buffer_get_webrtc_id(buffer); /* the buffer's session */
  g_autoptr(GstVoiceKitSessionContext) ctx = gst_voicekit_pad_get_session_context(pad); /* sticky */
  g_autoptr(GstVoiceKitSessionContext) cur = gst_voicekit_session_context_get_current(); /* NULL */

  g_print("buffer %s, pad %s, current outside a scope %s\n", id != NULL ? id : "(none)",
          ctx != NULL ? gst_voicekit_session_context_get_webrtc_id(ctx) : "(none)",
          cur != NULL ? gst_voicekit_session_context_get_webrtc_id(cur) : "(none)");

  /* An element calling application code makes the buffer's session current. */
  gst_voicekit_session_context_push_current(gst_voicekit_buffer_get_session_context(buffer));
  handler();
  gst_voicekit_session_context_pop_current();

  if (g_strcmp0(id, "caller-42") != 0 || ctx == NULL ||
      g_strcmp0(gst_voicekit_session_context_get_webrtc_id(ctx), "caller-42") != 0 || cur != NULL) {
    g_printerr("unexpected session\n");
    return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  int status = 1;
  {
    GError *error = NULL;
    g_autoptr(GstElement) pipeline = gst_parse_launch(
        "audiotestsrc num-buffers=5 ! sessiontag webrtc-id=caller-42 ! appsink name=sink", &error);
    if (pipeline == NULL) {
      g_printerr("cannot build the pipeline: %s\n", error->message);
      g_clear_error(&error);
      return 1;
    }
    g_autoptr(GstElement) appsink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
    gst_element_set_state(pipeline, GST_STATE_PLAYING);
    status = read_one_buffer(appsink);
    gst_element_set_state(pipeline, GST_STATE_NULL);
  }
  gst_deinit(); /* the leaks tracer reports here */
  return status;
}
