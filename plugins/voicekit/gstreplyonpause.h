/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * replyonpause: hands each utterance to a handler and streams the reply back.
 * The element's type and the values of its `handler` property.
 */
#ifndef PLUGINS_VOICEKIT_GSTREPLYONPAUSE_H
#define PLUGINS_VOICEKIT_GSTREPLYONPAUSE_H

#include <gst/gst.h>

G_BEGIN_DECLS

/**
 * GstVoiceKitReplyOnPauseHandler:
 * @GST_VOICEKIT_REPLY_ON_PAUSE_HANDLER_ECHO: the reply is the utterance itself
 * @GST_VOICEKIT_REPLY_ON_PAUSE_HANDLER_SIGNALS: application code, through the
 *   `utterance` signal and the `push-reply` / `end-reply` / `fail-reply` actions
 * @GST_VOICEKIT_REPLY_ON_PAUSE_HANDLER_COMMAND: a program run per utterance (`command`)
 * @GST_VOICEKIT_REPLY_ON_PAUSE_HANDLER_PADS: handler elements linked to the
 *   `utterance_src` and `reply_sink` request pads
 *
 * Who answers an utterance. Each value is a handler kind registered in
 * plugins/voicekit/reply-handler.cpp.
 *
 * Since: 0.2
 */
typedef enum {
  GST_VOICEKIT_REPLY_ON_PAUSE_HANDLER_ECHO = 0,
  GST_VOICEKIT_REPLY_ON_PAUSE_HANDLER_SIGNALS = 1,
  GST_VOICEKIT_REPLY_ON_PAUSE_HANDLER_COMMAND = 2,
  GST_VOICEKIT_REPLY_ON_PAUSE_HANDLER_PADS = 3,
} GstVoiceKitReplyOnPauseHandler;

#define GST_TYPE_VOICEKIT_REPLY_ON_PAUSE_HANDLER (gst_voicekit_reply_on_pause_handler_get_type())
GType gst_voicekit_reply_on_pause_handler_get_type(void);

#define GST_TYPE_VOICEKIT_REPLY_ON_PAUSE (gst_voicekit_reply_on_pause_get_type())
G_DECLARE_FINAL_TYPE(GstVoiceKitReplyOnPause, gst_voicekit_reply_on_pause, GST,
                     VOICEKIT_REPLY_ON_PAUSE, GstElement)

GST_ELEMENT_REGISTER_DECLARE(replyonpause);

G_END_DECLS

#endif /* PLUGINS_VOICEKIT_GSTREPLYONPAUSE_H */
