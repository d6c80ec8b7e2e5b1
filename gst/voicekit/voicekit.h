/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * Umbrella header of the voicekit library.
 */
#ifndef GST_VOICEKIT_VOICEKIT_H
#define GST_VOICEKIT_VOICEKIT_H

#include <gst/voicekit/session.h>
#include <gst/voicekit/turn-event.h>

#endif /* GST_VOICEKIT_VOICEKIT_H */
