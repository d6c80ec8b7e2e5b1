/* Umbrella header of the voicekit library. */
#ifndef GST_VOICEKIT_H
#define GST_VOICEKIT_H

#include <gst/voicekit/session.h>
#include <gst/voicekit/turn-event.h>

#endif
