/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * voicekit session library: who a buffer belongs to.
 *
 * The GStreamer counterpart of FastRTC's get_current_context().webrtc_id.
 * Three carriers of one immutable, reference-counted #GstVoiceKitSessionContext:
 *
 * - #GstVoiceKitSessionMeta on every buffer (a reference, no string copy; no tags and
 *   a transform that always copies, so it survives converters, encoders and
 *   payloaders that copy metas);
 * - a sticky, serialized custom downstream event (structure name
 *   "GstVoiceKitSession"), so an element that creates new buffers, or sits
 *   after one that drops metas (audiomixer), still finds the session on its pad;
 * - a thread-local current context that an element sets while it calls
 *   application code (gst_voicekit_session_context_push_current()).
 *
 * Plain C API so it is usable from C, C++ (see session-scope.hpp for an RAII
 * scope) and Python through GObject introspection (namespace GstVoiceKit).
 */
#ifndef GST_VOICEKIT_SESSION_H
#define GST_VOICEKIT_SESSION_H

#include <gst/voicekit/voicekit-prelude.h>

G_BEGIN_DECLS

/**
 * GST_VOICEKIT_SESSION_ID_MAX_LENGTH:
 *
 * Longest accepted webrtc-id, in bytes.
 *
 * Since: 0.2
 */
#define GST_VOICEKIT_SESSION_ID_MAX_LENGTH 256

/**
 * GST_VOICEKIT_SESSION_EVENT_NAME:
 *
 * Structure name of the sticky custom downstream event and of the custom
 * query that carry a #GstVoiceKitSessionContext.
 *
 * Since: 0.2
 */
#define GST_VOICEKIT_SESSION_EVENT_NAME "GstVoiceKitSession"

/**
 * GstVoiceKitSessionContext:
 *
 * An immutable, reference-counted description of one WebRTC session: its
 * webrtc-id, its creation time (wall clock) and an open set of extra fields
 * (user, device, auth claims, ... whatever the application puts there).
 * Immutable: a change makes a new context. Safe to share between threads.
 *
 * Since: 0.2
 */
typedef struct _GstVoiceKitSessionContext GstVoiceKitSessionContext;

/**
 * GST_TYPE_VOICEKIT_SESSION_CONTEXT:
 *
 * The boxed #GType of #GstVoiceKitSessionContext.
 *
 * Since: 0.2
 */
#define GST_TYPE_VOICEKIT_SESSION_CONTEXT (gst_voicekit_session_context_get_type())

/**
 * gst_voicekit_session_context_get_type:
 *
 * Returns: the boxed #GType of #GstVoiceKitSessionContext.
 *
 * Since: 0.2
 */
GST_VOICEKIT_API
GType gst_voicekit_session_context_get_type(void);

/**
 * gst_voicekit_session_id_is_valid:
 * @webrtc_id: (nullable): a candidate webrtc-id
 * @error: (out) (optional): where to say why it is refused
 *
 * A webrtc-id is valid when it is non-empty, at most
 * %GST_VOICEKIT_SESSION_ID_MAX_LENGTH bytes, valid UTF-8 and free of control
 * characters.
 *
 * Returns: %TRUE when @webrtc_id is valid.
 *
 * Since: 0.2
 */
GST_VOICEKIT_API
gboolean gst_voicekit_session_id_is_valid(const gchar *webrtc_id, GError **error);

/**
 * gst_voicekit_session_id_generate:
 *
 * Makes a random webrtc-id: 144 bits from the system's random source,
 * URL-safe base64 without padding (24 characters).
 *
 * Returns: (transfer full): a new id, free with g_free().
 *
 * Since: 0.2
 */
GST_VOICEKIT_API
gchar *gst_voicekit_session_id_generate(void);

/**
 * gst_voicekit_session_context_new:
 * @webrtc_id: the session id, see gst_voicekit_session_id_is_valid()
 * @fields: (nullable): extra fields, copied
 *
 * Returns: (transfer full) (nullable): a new context with the current wall
 * clock as creation time, or %NULL when @webrtc_id is invalid.
 *
 * Since: 0.2
 */
GST_VOICEKIT_API
GstVoiceKitSessionContext *gst_voicekit_session_context_new(const gchar *webrtc_id,
                                                            const GstStructure *fields);

/**
 * gst_voicekit_session_context_new_full:
 * @webrtc_id: the session id, see gst_voicekit_session_id_is_valid()
 * @fields: (nullable): extra fields, copied
 * @created_us: creation time, microseconds since the Unix epoch
 *
 * Returns: (transfer full) (nullable): a new context, or %NULL when
 * @webrtc_id is invalid.
 *
 * Since: 0.2
 */
GST_VOICEKIT_API
GstVoiceKitSessionContext *gst_voicekit_session_context_new_full(const gchar *webrtc_id,
                                                                 const GstStructure *fields,
                                                                 gint64 created_us);

/**
 * gst_voicekit_session_context_ref:
 * @context: a context
 *
 * Returns: (transfer full): @context
 *
 * Since: 0.2
 */
GST_VOICEKIT_API
GstVoiceKitSessionContext *gst_voicekit_session_context_ref(GstVoiceKitSessionContext *context);

/**
 * gst_voicekit_session_context_unref:
 * @context: (transfer full): a context
 *
 * Since: 0.2
 */
GST_VOICEKIT_API
void gst_voicekit_session_context_unref(GstVoiceKitSessionContext *context);

/**
 * gst_voicekit_session_context_get_webrtc_id:
 * @context: a context
 *
 * Returns: (transfer none): the webrtc-id, valid as long as @context.
 *
 * Since: 0.2
 */
GST_VOICEKIT_API
const gchar *gst_voicekit_session_context_get_webrtc_id(const GstVoiceKitSessionContext *context);

/**
 * gst_voicekit_session_context_get_created_us:
 * @context: a context
 *
 * Returns: the creation time, microseconds since the Unix epoch.
 *
 * Since: 0.2
 */
GST_VOICEKIT_API
gint64 gst_voicekit_session_context_get_created_us(const GstVoiceKitSessionContext *context);

/**
 * gst_voicekit_session_context_get_fields:
 * @context: a context
 *
 * Returns: (transfer none) (nullable): the extra fields, read-only, valid as
 * long as @context.
 *
 * Since: 0.2
 */
GST_VOICEKIT_API
const GstStructure *
gst_voicekit_session_context_get_fields(const GstVoiceKitSessionContext *context);

/**
 * gst_voicekit_session_context_is_equal:
 * @a: (nullable): a context
 * @b: (nullable): another context
 *
 * Returns: %TRUE when both are %NULL, or both have the same webrtc-id,
 * creation time and fields.
 *
 * Since: 0.2
 */
GST_VOICEKIT_API
gboolean gst_voicekit_session_context_is_equal(const GstVoiceKitSessionContext *a,
                                               const GstVoiceKitSessionContext *b);

/* ---- current context for application code (thread-local) ---------------- */

/**
 * gst_voicekit_session_context_push_current:
 * @context: the context application code called from here belongs to
 *
 * Makes @context the current context of the calling thread until the
 * matching gst_voicekit_session_context_pop_current(). Scopes nest. Elements call this
 * around calls into application code.
 *
 * Since: 0.2
 */
GST_VOICEKIT_API
void gst_voicekit_session_context_push_current(GstVoiceKitSessionContext *context);

/**
 * gst_voicekit_session_context_pop_current:
 *
 * Ends the innermost scope opened on this thread by
 * gst_voicekit_session_context_push_current().
 *
 * Since: 0.2
 */
GST_VOICEKIT_API
void gst_voicekit_session_context_pop_current(void);

/**
 * gst_voicekit_session_context_get_current:
 *
 * The counterpart of FastRTC's get_current_context(): the context of the
 * innermost scope open on the calling thread. Never another thread's.
 *
 * Returns: (transfer full) (nullable): the current context, or %NULL outside
 * any scope.
 *
 * Since: 0.2
 */
GST_VOICEKIT_API
GstVoiceKitSessionContext *gst_voicekit_session_context_get_current(void);

/* ---- buffer meta ---------------------------------------------------------- */

/**
 * GstVoiceKitSessionMeta:
 * @meta: parent
 * @context: the session the buffer belongs to (one reference)
 *
 * Buffer meta that names the session a buffer belongs to. A buffer carries
 * at most one.
 *
 * Since: 0.2
 */
typedef struct _GstVoiceKitSessionMeta {
  GstMeta meta;
  GstVoiceKitSessionContext *context;
} GstVoiceKitSessionMeta;

/**
 * gst_voicekit_session_meta_api_get_type:
 *
 * Returns: the meta API type "GstVoiceKitSessionMetaAPI" (no tags).
 *
 * Since: 0.2
 */
GST_VOICEKIT_API
GType gst_voicekit_session_meta_api_get_type(void);

/**
 * GST_VOICEKIT_SESSION_META_API_TYPE:
 *
 * The meta API type of #GstVoiceKitSessionMeta, for gst_buffer_get_meta().
 *
 * Since: 0.2
 */
#define GST_VOICEKIT_SESSION_META_API_TYPE (gst_voicekit_session_meta_api_get_type())

/**
 * gst_voicekit_session_meta_get_info:
 *
 * Returns: the registered "GstVoiceKitSessionMeta" implementation.
 *
 * Since: 0.2
 */
GST_VOICEKIT_API
const GstMetaInfo *gst_voicekit_session_meta_get_info(void);

/**
 * GST_VOICEKIT_SESSION_META_INFO:
 *
 * The #GstMetaInfo of #GstVoiceKitSessionMeta, for gst_buffer_add_meta().
 *
 * Since: 0.2
 */
#define GST_VOICEKIT_SESSION_META_INFO (gst_voicekit_session_meta_get_info())

/**
 * gst_voicekit_buffer_set_session_context:
 * @buffer: a writable buffer
 * @context: the session @buffer belongs to
 *
 * Tags @buffer with @context: adds a #GstVoiceKitSessionMeta, or re-points the one it
 * has (a buffer never carries two).
 *
 * Returns: (transfer none): the buffer's session meta.
 *
 * Since: 0.2
 */
GST_VOICEKIT_API
GstVoiceKitSessionMeta *gst_voicekit_buffer_set_session_context(GstBuffer *buffer,
                                                                GstVoiceKitSessionContext *context);

/**
 * gst_voicekit_buffer_get_session_meta:
 * @buffer: a buffer
 *
 * Returns: (transfer none) (nullable): the buffer's session meta.
 *
 * Since: 0.2
 */
GST_VOICEKIT_API
GstVoiceKitSessionMeta *gst_voicekit_buffer_get_session_meta(GstBuffer *buffer);

/**
 * gst_voicekit_buffer_get_session_context:
 * @buffer: a buffer
 *
 * Returns: (transfer none) (nullable): the session @buffer belongs to.
 *
 * Since: 0.2
 */
GST_VOICEKIT_API
GstVoiceKitSessionContext *gst_voicekit_buffer_get_session_context(GstBuffer *buffer);

/**
 * gst_voicekit_buffer_get_webrtc_id:
 * @buffer: a buffer
 *
 * Returns: (transfer none) (nullable): the webrtc-id of the session @buffer
 * belongs to, valid as long as the buffer holds its meta.
 *
 * Since: 0.2
 */
GST_VOICEKIT_API
const gchar *gst_voicekit_buffer_get_webrtc_id(GstBuffer *buffer);

/* ---- sticky event and query ----------------------------------------------- */

/**
 * gst_voicekit_event_new_session:
 * @context: a context
 *
 * Returns: (transfer full): a sticky, serialized custom downstream event
 * carrying @context. Its structure also has "webrtc-id" (string) and
 * "created-us" (gint64) for readers that do not link this library.
 *
 * Since: 0.2
 */
GST_VOICEKIT_API
GstEvent *gst_voicekit_event_new_session(GstVoiceKitSessionContext *context);

/**
 * gst_voicekit_event_parse_session:
 * @event: an event
 *
 * Returns: (transfer full) (nullable): the context @event carries, or %NULL
 * when @event is not a session event.
 *
 * Since: 0.2
 */
GST_VOICEKIT_API
GstVoiceKitSessionContext *gst_voicekit_event_parse_session(GstEvent *event);

/**
 * gst_voicekit_pad_get_session_context:
 * @pad: a pad
 *
 * Reads the sticky session event stored on @pad (on a sink pad: the session
 * of the data arriving there).
 *
 * Returns: (transfer full) (nullable): the context, or %NULL.
 *
 * Since: 0.2
 */
GST_VOICEKIT_API
GstVoiceKitSessionContext *gst_voicekit_pad_get_session_context(GstPad *pad);

/**
 * gst_voicekit_query_new_session:
 *
 * Returns: (transfer full): a custom query asking upstream for the session
 * context.
 *
 * Since: 0.2
 */
GST_VOICEKIT_API
GstQuery *gst_voicekit_query_new_session(void);

/**
 * gst_voicekit_query_set_session:
 * @query: a writable session query
 * @context: the answer
 *
 * Since: 0.2
 */
GST_VOICEKIT_API
void gst_voicekit_query_set_session(GstQuery *query, GstVoiceKitSessionContext *context);

/**
 * gst_voicekit_query_parse_session:
 * @query: a query
 *
 * Returns: (transfer full) (nullable): the context the answered query holds,
 * or %NULL when @query is not a session query or was not answered.
 *
 * Since: 0.2
 */
GST_VOICEKIT_API
GstVoiceKitSessionContext *gst_voicekit_query_parse_session(GstQuery *query);

/**
 * gst_voicekit_pad_query_session_context:
 * @pad: a sink pad
 *
 * Asks upstream of @pad for the session context (sends a session query to
 * the peer).
 *
 * Returns: (transfer full) (nullable): the context, or %NULL when nobody
 * upstream answered.
 *
 * Since: 0.2
 */
GST_VOICEKIT_API
GstVoiceKitSessionContext *gst_voicekit_pad_query_session_context(GstPad *pad);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(GstVoiceKitSessionContext, gst_voicekit_session_context_unref)

G_END_DECLS

#endif /* GST_VOICEKIT_SESSION_H */
