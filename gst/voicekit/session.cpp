/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * voicekit session library: context, meta, sticky event, query, current scope.
 * The contract is in session.h.
 */
#include "session.h"

#include <gio/gio.h>
#include <sys/random.h>

#include <cerrno>
#include <cstring>
#include <vector>

GST_DEBUG_CATEGORY_STATIC(session_debug);
#define GST_CAT_DEFAULT session_debug

static void ensure_debug_category() {
  static gsize once = 0;
  if (g_once_init_enter(&once)) {
    GST_DEBUG_CATEGORY_INIT(session_debug, "voicekitsession", 0, "voicekit session context");
    g_once_init_leave(&once, 1);
  }
}

/* Immutable after construction: only the reference count changes. */
struct _GstVoiceKitSessionContext {
  gint refcount;
  gchar *webrtc_id;
  gint64 created_us;
  GstStructure *fields; /* nullable; never modified after construction */
};

/* Printed structures (gst-launch -m, debug logs) show the webrtc-id rather
 * than "NULL". */
static void context_to_string(const GValue *src, GValue *dest) {
  auto *context = static_cast<const GstVoiceKitSessionContext *>(g_value_get_boxed(src));
  g_value_take_string(dest, context != nullptr ? g_strdup_printf("webrtc-id:%s", context->webrtc_id)
                                               : nullptr);
}

G_DEFINE_BOXED_TYPE_WITH_CODE(GstVoiceKitSessionContext, gst_voicekit_session_context,
                              gst_voicekit_session_context_ref, gst_voicekit_session_context_unref,
                              g_value_register_transform_func(g_define_type_id, G_TYPE_STRING,
                                                              context_to_string))

/* ---- ids ------------------------------------------------------------------ */

gboolean gst_voicekit_session_id_is_valid(const gchar *webrtc_id, GError **error) {
  if (webrtc_id == nullptr || webrtc_id[0] == '\0') {
    g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "webrtc-id is empty");
    return FALSE;
  }
  const gsize length = strlen(webrtc_id);
  if (length > GST_VOICEKIT_SESSION_ID_MAX_LENGTH) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                "webrtc-id is %" G_GSIZE_FORMAT " bytes long, at most %d are allowed", length,
                GST_VOICEKIT_SESSION_ID_MAX_LENGTH);
    return FALSE;
  }
  if (!g_utf8_validate(webrtc_id, static_cast<gssize>(length), nullptr)) {
    g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                        "webrtc-id is not valid UTF-8");
    return FALSE;
  }
  for (const gchar *p = webrtc_id; *p != '\0'; p = g_utf8_next_char(p)) {
    const gunichar c = g_utf8_get_char(p);
    if (g_unichar_iscntrl(c)) {
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                  "webrtc-id contains the control character U+%04X at byte %" G_GSIZE_FORMAT, c,
                  static_cast<gsize>(p - webrtc_id));
      return FALSE;
    }
  }
  return TRUE;
}

gchar *gst_voicekit_session_id_generate(void) {
  guint8 random_bytes[18];
  gsize filled = 0;
  while (filled < sizeof random_bytes) {
    const ssize_t got = getrandom(random_bytes + filled, sizeof random_bytes - filled, 0);
    if (got < 0) {
      if (errno == EINTR)
        continue;
      /* No kernel entropy interface: GLib's generator is still seeded from
       * /dev/urandom, better than failing the pipeline. */
      for (; filled < sizeof random_bytes; filled++)
        random_bytes[filled] = static_cast<guint8>(g_random_int_range(0, 256));
      break;
    }
    filled += static_cast<gsize>(got);
  }
  /* 18 bytes encode to exactly 24 base64 characters: no padding. */
  gchar *id = g_base64_encode(random_bytes, sizeof random_bytes);
  for (gchar *p = id; *p != '\0'; p++) {
    if (*p == '+')
      *p = '-';
    else if (*p == '/')
      *p = '_';
  }
  return id;
}

/* ---- context -------------------------------------------------------------- */

GstVoiceKitSessionContext *gst_voicekit_session_context_new_full(const gchar *webrtc_id,
                                                                 const GstStructure *fields,
                                                                 gint64 created_us) {
  ensure_debug_category();
  GError *error = nullptr;
  if (!gst_voicekit_session_id_is_valid(webrtc_id, &error)) {
    GST_WARNING("refusing session context: %s", error->message);
    g_error_free(error);
    return nullptr;
  }
  auto *context = g_new0(GstVoiceKitSessionContext, 1);
  context->refcount = 1;
  context->webrtc_id = g_strdup(webrtc_id);
  context->created_us = created_us;
  context->fields = fields != nullptr ? gst_structure_copy(fields) : nullptr;
  return context;
}

GstVoiceKitSessionContext *gst_voicekit_session_context_new(const gchar *webrtc_id,
                                                            const GstStructure *fields) {
  return gst_voicekit_session_context_new_full(webrtc_id, fields, g_get_real_time());
}

GstVoiceKitSessionContext *gst_voicekit_session_context_ref(GstVoiceKitSessionContext *context) {
  g_return_val_if_fail(context != nullptr, nullptr);
  g_atomic_int_inc(&context->refcount);
  return context;
}

void gst_voicekit_session_context_unref(GstVoiceKitSessionContext *context) {
  g_return_if_fail(context != nullptr);
  if (g_atomic_int_dec_and_test(&context->refcount)) {
    g_free(context->webrtc_id);
    if (context->fields != nullptr)
      gst_structure_free(context->fields);
    g_free(context);
  }
}

const gchar *gst_voicekit_session_context_get_webrtc_id(const GstVoiceKitSessionContext *context) {
  g_return_val_if_fail(context != nullptr, nullptr);
  return context->webrtc_id;
}

gint64 gst_voicekit_session_context_get_created_us(const GstVoiceKitSessionContext *context) {
  g_return_val_if_fail(context != nullptr, 0);
  return context->created_us;
}

const GstStructure *
gst_voicekit_session_context_get_fields(const GstVoiceKitSessionContext *context) {
  g_return_val_if_fail(context != nullptr, nullptr);
  return context->fields;
}

gboolean gst_voicekit_session_context_is_equal(const GstVoiceKitSessionContext *a,
                                               const GstVoiceKitSessionContext *b) {
  if (a == b)
    return TRUE;
  if (a == nullptr || b == nullptr)
    return FALSE;
  if (a->created_us != b->created_us || strcmp(a->webrtc_id, b->webrtc_id) != 0)
    return FALSE;
  if (a->fields == nullptr || b->fields == nullptr)
    return a->fields == b->fields;
  /* Field by field through each value's serialisation, not
   * gst_structure_is_equal(): that one raises a CRITICAL (and answers FALSE)
   * on values GStreamer cannot compare, such as a list mixing types
   * ("l={1,abc}", which a fields string can hold) or a boxed value without a
   * compare function. Values that do not serialise are equal only when they
   * are the same pointer. Field order does not matter. */
  if (g_strcmp0(gst_structure_get_name(a->fields), gst_structure_get_name(b->fields)) != 0 ||
      gst_structure_n_fields(a->fields) != gst_structure_n_fields(b->fields))
    return FALSE;
  return gst_structure_foreach(
      a->fields,
      [](GQuark field, const GValue *value_a, gpointer data) -> gboolean {
        const GValue *value_b =
            gst_structure_id_get_value(static_cast<const GstStructure *>(data), field);
        if (value_b == nullptr || G_VALUE_TYPE(value_a) != G_VALUE_TYPE(value_b))
          return FALSE;
        gchar *text_a = gst_value_serialize(value_a);
        gchar *text_b = gst_value_serialize(value_b);
        const gboolean equal =
            text_a != nullptr && text_b != nullptr
                ? g_strcmp0(text_a, text_b) == 0
                : text_a == nullptr && text_b == nullptr &&
                      g_value_peek_pointer(value_a) == g_value_peek_pointer(value_b);
        g_free(text_a);
        g_free(text_b);
        return equal;
      },
      b->fields);
}

/* ---- current context ------------------------------------------------------ */

namespace {
/* Each thread has its own stack of scopes; one reference held per entry.
 * Nothing here is ever read by another thread, so no lock is needed. */
thread_local std::vector<GstVoiceKitSessionContext *> current_scopes;
} /* namespace */

void gst_voicekit_session_context_push_current(GstVoiceKitSessionContext *context) {
  g_return_if_fail(context != nullptr);
  current_scopes.push_back(gst_voicekit_session_context_ref(context));
}

void gst_voicekit_session_context_pop_current(void) {
  g_return_if_fail(!current_scopes.empty());
  GstVoiceKitSessionContext *context = current_scopes.back();
  current_scopes.pop_back();
  gst_voicekit_session_context_unref(context);
}

GstVoiceKitSessionContext *gst_voicekit_session_context_get_current(void) {
  if (current_scopes.empty())
    return nullptr;
  return gst_voicekit_session_context_ref(current_scopes.back());
}

/* ---- meta ----------------------------------------------------------------- */

static gboolean session_meta_init(GstMeta *meta, gpointer, GstBuffer *) {
  reinterpret_cast<GstVoiceKitSessionMeta *>(meta)->context = nullptr;
  return TRUE;
}

static void session_meta_free(GstMeta *meta, GstBuffer *) {
  auto *session_meta = reinterpret_cast<GstVoiceKitSessionMeta *>(meta);
  if (session_meta->context != nullptr)
    gst_voicekit_session_context_unref(session_meta->context);
  session_meta->context = nullptr;
}

/* Copies on every kind of transform (copy, audio conversion, resampling,
 * encoding...): the session of a buffer does not depend on its format. */
static gboolean session_meta_transform(GstBuffer *dest, GstMeta *meta, GstBuffer *,
                                       GQuark transform_type, gpointer) {
  auto *session_meta = reinterpret_cast<GstVoiceKitSessionMeta *>(meta);
  if (session_meta->context == nullptr)
    return TRUE;
  GST_TRACE("copying session meta (%s) on %s", session_meta->context->webrtc_id,
            g_quark_to_string(transform_type));
  return gst_voicekit_buffer_set_session_context(dest, session_meta->context) != nullptr;
}

GType gst_voicekit_session_meta_api_get_type(void) {
  static GType type = 0;
  static const gchar *tags[] = {nullptr};
  if (g_once_init_enter(&type)) {
    GType registered = gst_meta_api_type_register("GstVoiceKitSessionMetaAPI", tags);
    g_once_init_leave(&type, registered);
  }
  return type;
}

const GstMetaInfo *gst_voicekit_session_meta_get_info(void) {
  static const GstMetaInfo *info = nullptr;
  if (g_once_init_enter(&info)) {
    ensure_debug_category();
    const GstMetaInfo *registered =
        gst_meta_register(GST_VOICEKIT_SESSION_META_API_TYPE, "GstVoiceKitSessionMeta",
                          sizeof(GstVoiceKitSessionMeta), session_meta_init, session_meta_free,
                          session_meta_transform);
    g_once_init_leave(&info, registered);
  }
  return info;
}

GstVoiceKitSessionMeta *gst_voicekit_buffer_get_session_meta(GstBuffer *buffer) {
  g_return_val_if_fail(GST_IS_BUFFER(buffer), nullptr);
  return reinterpret_cast<GstVoiceKitSessionMeta *>(
      gst_buffer_get_meta(buffer, GST_VOICEKIT_SESSION_META_API_TYPE));
}

GstVoiceKitSessionMeta *
gst_voicekit_buffer_set_session_context(GstBuffer *buffer, GstVoiceKitSessionContext *context) {
  g_return_val_if_fail(GST_IS_BUFFER(buffer), nullptr);
  g_return_val_if_fail(gst_buffer_is_writable(buffer), nullptr);
  g_return_val_if_fail(context != nullptr, nullptr);
  GstVoiceKitSessionMeta *meta = gst_voicekit_buffer_get_session_meta(buffer);
  if (meta == nullptr) {
    meta = reinterpret_cast<GstVoiceKitSessionMeta *>(
        gst_buffer_add_meta(buffer, GST_VOICEKIT_SESSION_META_INFO, nullptr));
    if (meta == nullptr)
      return nullptr;
  }
  if (meta->context != context) {
    GstVoiceKitSessionContext *old = meta->context;
    meta->context = gst_voicekit_session_context_ref(context);
    if (old != nullptr)
      gst_voicekit_session_context_unref(old);
  }
  return meta;
}

GstVoiceKitSessionContext *gst_voicekit_buffer_get_session_context(GstBuffer *buffer) {
  GstVoiceKitSessionMeta *meta = gst_voicekit_buffer_get_session_meta(buffer);
  return meta != nullptr ? meta->context : nullptr;
}

const gchar *gst_voicekit_buffer_get_webrtc_id(GstBuffer *buffer) {
  GstVoiceKitSessionContext *context = gst_voicekit_buffer_get_session_context(buffer);
  return context != nullptr ? context->webrtc_id : nullptr;
}

/* ---- event and query ------------------------------------------------------ */

static GstStructure *new_session_structure(GstVoiceKitSessionContext *context) {
  return gst_structure_new(GST_VOICEKIT_SESSION_EVENT_NAME, "context",
                           GST_TYPE_VOICEKIT_SESSION_CONTEXT, context, "webrtc-id", G_TYPE_STRING,
                           context->webrtc_id, "created-us", G_TYPE_INT64, context->created_us,
                           nullptr);
}

static GstVoiceKitSessionContext *context_from_structure(const GstStructure *structure) {
  if (structure == nullptr || !gst_structure_has_name(structure, GST_VOICEKIT_SESSION_EVENT_NAME))
    return nullptr;
  GstVoiceKitSessionContext *context = nullptr;
  if (!gst_structure_get(structure, "context", GST_TYPE_VOICEKIT_SESSION_CONTEXT, &context,
                         nullptr))
    return nullptr;
  return context; /* gst_structure_get() returned a reference */
}

GstEvent *gst_voicekit_event_new_session(GstVoiceKitSessionContext *context) {
  g_return_val_if_fail(context != nullptr, nullptr);
  return gst_event_new_custom(GST_EVENT_CUSTOM_DOWNSTREAM_STICKY, new_session_structure(context));
}

GstVoiceKitSessionContext *gst_voicekit_event_parse_session(GstEvent *event) {
  g_return_val_if_fail(GST_IS_EVENT(event), nullptr);
  if (GST_EVENT_TYPE(event) != GST_EVENT_CUSTOM_DOWNSTREAM_STICKY)
    return nullptr;
  return context_from_structure(gst_event_get_structure(event));
}

GstVoiceKitSessionContext *gst_voicekit_pad_get_session_context(GstPad *pad) {
  g_return_val_if_fail(GST_IS_PAD(pad), nullptr);
  /* Custom sticky events are stored per structure name: walk them all. */
  for (guint index = 0;; index++) {
    GstEvent *event = gst_pad_get_sticky_event(pad, GST_EVENT_CUSTOM_DOWNSTREAM_STICKY, index);
    if (event == nullptr)
      return nullptr;
    GstVoiceKitSessionContext *context = gst_voicekit_event_parse_session(event);
    gst_event_unref(event);
    if (context != nullptr)
      return context;
  }
}

GstQuery *gst_voicekit_query_new_session(void) {
  return gst_query_new_custom(GST_QUERY_CUSTOM,
                              gst_structure_new_empty(GST_VOICEKIT_SESSION_EVENT_NAME));
}

void gst_voicekit_query_set_session(GstQuery *query, GstVoiceKitSessionContext *context) {
  g_return_if_fail(GST_IS_QUERY(query));
  g_return_if_fail(context != nullptr);
  GstStructure *structure = gst_query_writable_structure(query);
  g_return_if_fail(gst_structure_has_name(structure, GST_VOICEKIT_SESSION_EVENT_NAME));
  gst_structure_set(structure, "context", GST_TYPE_VOICEKIT_SESSION_CONTEXT, context, "webrtc-id",
                    G_TYPE_STRING, context->webrtc_id, "created-us", G_TYPE_INT64,
                    context->created_us, nullptr);
}

GstVoiceKitSessionContext *gst_voicekit_query_parse_session(GstQuery *query) {
  g_return_val_if_fail(GST_IS_QUERY(query), nullptr);
  if (GST_QUERY_TYPE(query) != GST_QUERY_CUSTOM)
    return nullptr;
  return context_from_structure(gst_query_get_structure(query));
}

GstVoiceKitSessionContext *gst_voicekit_pad_query_session_context(GstPad *pad) {
  g_return_val_if_fail(GST_IS_PAD(pad), nullptr);
  GstQuery *query = gst_voicekit_query_new_session();
  GstVoiceKitSessionContext *context = nullptr;
  if (gst_pad_peer_query(pad, query))
    context = gst_voicekit_query_parse_session(query);
  gst_query_unref(query);
  return context;
}
