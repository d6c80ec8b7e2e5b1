/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * Export macro of libgstvoicekit-1.0, in the style of GStreamer's own
 * libraries: GST_VOICEKIT_API exports a symbol while the library is built and
 * declares it extern everywhere else.
 */
#ifndef GST_VOICEKIT_VOICEKIT_PRELUDE_H
#define GST_VOICEKIT_VOICEKIT_PRELUDE_H

#include <gst/gst.h>

#ifndef GST_VOICEKIT_API
#ifdef BUILDING_GST_VOICEKIT
#define GST_VOICEKIT_API GST_API_EXPORT /* building the library */
#else
#define GST_VOICEKIT_API GST_API_IMPORT /* using it */
#endif
#endif

#endif /* GST_VOICEKIT_VOICEKIT_PRELUDE_H */
