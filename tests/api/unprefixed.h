/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * A header with names outside the library's prefix, the way the library's
 * headers looked before 0.2: check-symbols.py must refuse it (the
 * symbols-refuses-unprefixed test expects it to fail).
 */
#ifndef TESTS_API_UNPREFIXED_H
#define TESTS_API_UNPREFIXED_H

#define GST_SESSION_EVENT_NAME "GstVoiceKitSession"
typedef struct _GstSessionContext GstSessionContext;

#endif /* TESTS_API_UNPREFIXED_H */
