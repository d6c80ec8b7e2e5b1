/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * sessiontag: tags every buffer with the WebRTC session it belongs to (meta,
 * sticky event, current context) and answers session queries.
 */
/**
 * SECTION:element-sessiontag
 * @title: sessiontag
 *
 * Puts the WebRTC session (webrtc-id, creation time, extra fields) on every
 * buffer that passes, so every element downstream, and application code those
 * elements call, knows whose audio it holds.
 *
 * Pads: one always sink pad and one always src pad, both ANY caps (audio is
 * the main case; video and anything else pass too). Caps, allocation and
 * scheduling queries are proxied: the element is transparent to negotiation.
 *
 * What it does to the stream:
 * - every buffer gets a #GstVoiceKitSessionMeta holding a reference to the current
 *   #GstVoiceKitSessionContext (no copy of audio memory, no string copy). A buffer
 *   that arrives with another session's meta is re-tagged: it never carries
 *   two. Buffer lists are tagged buffer by buffer.
 * - before the first buffer, and before the first buffer after any change, a
 *   sticky serialized custom downstream event named "GstVoiceKitSession"
 *   (fields: "context" #GstVoiceKitSessionContext, "webrtc-id" string, "created-us"
 *   gint64 microseconds since the Unix epoch). Session events arriving from
 *   upstream are dropped: this element's session replaces them.
 * - while a buffer is pushed downstream, the session is the current context of
 *   the streaming thread (gst_voicekit_session_context_get_current()), so application
 *   callbacks reached in that thread (appsink, pad probes, handoff signals, up
 *   to the next queue) see it.
 * - a custom "GstVoiceKitSession" query from downstream
 *   (gst_voicekit_pad_query_session_context()) is answered with the current session.
 *
 * Properties (all writable in every state; a change applies from the next
 * buffer and sends a new sticky event):
 * - "webrtc-id" (string, default NULL): the session id. Left unset, the
 *   element generates a random id (144 bits, URL-safe base64) when it starts
 *   (READY->PAUSED), posts it on the bus, and the property reads as that id
 *   from then on. An empty, over-long (> 256 bytes), non-UTF-8 or
 *   control-character id is refused with a warning on the bus and the previous
 *   id is kept; so is NULL while PAUSED or PLAYING (a running stream keeps a
 *   session).
 * - "fields" (GstStructure): extra session data (user, device, auth claims...).
 * - "context" (GstVoiceKitSessionContext, read-only): the session being
 *   applied; NULL before the start when no id was set.
 *
 * Messages: element message "sessiontag" when an id was generated, with
 * "webrtc-id" (string) and "generated" (boolean, TRUE), posted when the element
 * goes from READY to PAUSED.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 audiotestsrc num-buffers=50 ! sessiontag webrtc-id=caller-42 \
 *     fields="session,user=alice" ! audioconvert ! opusenc ! opusdec ! fakesink
 * ]|
 */
#include "gstsessiontag.h"

#include <gst/voicekit/session.h>

GST_DEBUG_CATEGORY_STATIC(session_tag_debug);
#define GST_CAT_DEFAULT session_tag_debug

enum { PROP_0, PROP_WEBRTC_ID, PROP_FIELDS, PROP_CONTEXT };

/* Written by property setters from any thread, read by the streaming thread:
 * guarded by GstVoiceKitSessionTag::settings_lock. `context` is rebuilt on every
 * change, so readers take a reference and never see a half-made session. */
struct SessionTagSettings {
  /* NULL until an id is set or, at READY->PAUSED, generated; never NULL from
   * then on while PAUSED or PLAYING (NULL ids are refused then). */
  GstVoiceKitSessionContext *context;
  GstStructure *fields;  /* the fields set while `context` is NULL */
  gboolean id_generated; /* context's id came from gst_voicekit_session_id_generate() */
  gboolean id_announced; /* the generated id was posted on the bus */
  gint version;          /* bumped (atomically, under the lock) on every change */
};

/* Owned by the streaming thread (chain and serialized events); reset in state
 * changes while streaming is stopped. No lock. */
struct SessionTagState {
  GstVoiceKitSessionContext *sent_context; /* last context sent downstream as sticky event */
  gint seen_version;                       /* settings.version that sent_context came from */
};

struct _GstVoiceKitSessionTag {
  GstElement parent;
  GstPad *sinkpad;
  GstPad *srcpad;

  GMutex settings_lock;
  SessionTagSettings settings;
  SessionTagState state;
};

G_DEFINE_TYPE(GstVoiceKitSessionTag, gst_voicekit_session_tag, GST_TYPE_ELEMENT)
GST_ELEMENT_REGISTER_DEFINE(sessiontag, "sessiontag", GST_RANK_NONE, GST_TYPE_VOICEKIT_SESSION_TAG)

static GstStaticPadTemplate sink_template =
    GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);
static GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

/* ---- settings --------------------------------------------------------------- */

/* A reference to the session being applied, or NULL (no id yet). */
static GstVoiceKitSessionContext *session_tag_ref_context(GstVoiceKitSessionTag *self) {
  g_mutex_lock(&self->settings_lock);
  GstVoiceKitSessionContext *context =
      self->settings.context != nullptr ? gst_voicekit_session_context_ref(self->settings.context)
                                        : nullptr;
  g_mutex_unlock(&self->settings_lock);
  return context;
}

/* Takes ownership of `context` (NULL: no session until the start). Called
 * with settings_lock held. */
static void session_tag_replace_context_locked(GstVoiceKitSessionTag *self,
                                               GstVoiceKitSessionContext *context) {
  GstVoiceKitSessionContext *old = self->settings.context;
  self->settings.context = context;
  g_atomic_int_inc(&self->settings.version);
  if (old != nullptr)
    gst_voicekit_session_context_unref(old);
}

/* The extra fields of the session, set or to be applied. Called with
 * settings_lock held; borrowed. */
static const GstStructure *session_tag_fields_locked(GstVoiceKitSessionTag *self) {
  return self->settings.context != nullptr
             ? gst_voicekit_session_context_get_fields(self->settings.context)
             : self->settings.fields;
}

/* Whether the element streams or is about to: then it must keep a session. */
static gboolean session_tag_running(GstVoiceKitSessionTag *self) {
  GST_OBJECT_LOCK(self);
  const gboolean running =
      GST_STATE(self) >= GST_STATE_PAUSED || GST_STATE_PENDING(self) >= GST_STATE_PAUSED;
  GST_OBJECT_UNLOCK(self);
  return running;
}

static void session_tag_refuse_id(GstVoiceKitSessionTag *self, const gchar *why) {
  GstVoiceKitSessionContext *kept = session_tag_ref_context(self);
  GST_ELEMENT_WARNING(
      self, LIBRARY, SETTINGS, ("Refusing webrtc-id: %s", why),
      ("keeping webrtc-id '%s'",
       kept != nullptr ? gst_voicekit_session_context_get_webrtc_id(kept) : "(none yet)"));
  if (kept != nullptr)
    gst_voicekit_session_context_unref(kept);
}

/* NULL while stopped: no id, one is generated at the start. */
static void session_tag_unset_webrtc_id(GstVoiceKitSessionTag *self) {
  g_mutex_lock(&self->settings_lock);
  /* Checked under the lock: READY->PAUSED, which generates the id under it
   * too, has set the pending state before; so a stream never lacks a session. */
  if (session_tag_running(self)) {
    g_mutex_unlock(&self->settings_lock);
    session_tag_refuse_id(self, "a running stream keeps its session id (NULL while PAUSED or "
                                "PLAYING)");
    return;
  }
  if (self->settings.context != nullptr) {
    const GstStructure *fields = session_tag_fields_locked(self);
    if (self->settings.fields != nullptr)
      gst_structure_free(self->settings.fields);
    self->settings.fields = fields != nullptr ? gst_structure_copy(fields) : nullptr;
    session_tag_replace_context_locked(self, nullptr);
    self->settings.id_generated = FALSE;
    GST_INFO_OBJECT(self, "webrtc-id unset: one is generated at the start");
  }
  g_mutex_unlock(&self->settings_lock);
}

static void session_tag_set_webrtc_id(GstVoiceKitSessionTag *self, const gchar *webrtc_id) {
  if (webrtc_id == nullptr) {
    session_tag_unset_webrtc_id(self);
    return;
  }
  GError *error = nullptr;
  if (!gst_voicekit_session_id_is_valid(webrtc_id, &error)) {
    session_tag_refuse_id(self, error->message);
    g_error_free(error);
    return;
  }
  g_mutex_lock(&self->settings_lock);
  GstVoiceKitSessionContext *current = self->settings.context;
  if (current == nullptr ||
      g_strcmp0(gst_voicekit_session_context_get_webrtc_id(current), webrtc_id) != 0) {
    /* A new id is a new session: new creation time, same extra fields. */
    session_tag_replace_context_locked(
        self, gst_voicekit_session_context_new(webrtc_id, session_tag_fields_locked(self)));
    if (self->settings.fields != nullptr) {
      gst_structure_free(self->settings.fields);
      self->settings.fields = nullptr;
    }
    self->settings.id_generated = FALSE;
    GST_INFO_OBJECT(self, "webrtc-id is now '%s'", webrtc_id);
  }
  g_mutex_unlock(&self->settings_lock);
}

static void session_tag_set_fields(GstVoiceKitSessionTag *self, const GstStructure *fields) {
  g_mutex_lock(&self->settings_lock);
  GstVoiceKitSessionContext *current = self->settings.context;
  if (current != nullptr) {
    /* Same session, more (or other) data about it: keep id and creation time. */
    session_tag_replace_context_locked(
        self, gst_voicekit_session_context_new_full(
                  gst_voicekit_session_context_get_webrtc_id(current), fields,
                  gst_voicekit_session_context_get_created_us(current)));
  } else {
    /* no session yet: its fields when it comes */
    if (self->settings.fields != nullptr)
      gst_structure_free(self->settings.fields);
    self->settings.fields = fields != nullptr ? gst_structure_copy(fields) : nullptr;
  }
  g_mutex_unlock(&self->settings_lock);
  GST_INFO_OBJECT(self, "fields are now %" GST_PTR_FORMAT, static_cast<const void *>(fields));
}

/* READY->PAUSED without an id: generates one. Returns it (to post on the
 * bus) when it was not announced yet, else NULL. */
static gchar *session_tag_ensure_id(GstVoiceKitSessionTag *self) {
  g_mutex_lock(&self->settings_lock);
  if (self->settings.context == nullptr) {
    gchar *generated = gst_voicekit_session_id_generate();
    session_tag_replace_context_locked(
        self, gst_voicekit_session_context_new(generated, self->settings.fields));
    g_free(generated);
    if (self->settings.fields != nullptr) {
      gst_structure_free(self->settings.fields);
      self->settings.fields = nullptr;
    }
    self->settings.id_generated = TRUE;
    self->settings.id_announced = FALSE;
  }
  gchar *announce = nullptr;
  if (self->settings.id_generated && !self->settings.id_announced) {
    announce = g_strdup(gst_voicekit_session_context_get_webrtc_id(self->settings.context));
    self->settings.id_announced = TRUE;
  }
  g_mutex_unlock(&self->settings_lock);
  return announce;
}

static void gst_voicekit_session_tag_set_property(GObject *object, guint prop_id,
                                                  const GValue *value, GParamSpec *pspec) {
  GstVoiceKitSessionTag *self = GST_VOICEKIT_SESSION_TAG(object);
  switch (prop_id) {
  case PROP_WEBRTC_ID:
    session_tag_set_webrtc_id(self, g_value_get_string(value));
    break;
  case PROP_FIELDS:
    session_tag_set_fields(self, static_cast<const GstStructure *>(g_value_get_boxed(value)));
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    break;
  }
}

static void gst_voicekit_session_tag_get_property(GObject *object, guint prop_id, GValue *value,
                                                  GParamSpec *pspec) {
  GstVoiceKitSessionTag *self = GST_VOICEKIT_SESSION_TAG(object);
  g_mutex_lock(&self->settings_lock);
  GstVoiceKitSessionContext *context = self->settings.context; /* NULL: no id yet */
  switch (prop_id) {
  case PROP_WEBRTC_ID:
    g_value_set_string(
        value, context != nullptr ? gst_voicekit_session_context_get_webrtc_id(context) : nullptr);
    break;
  case PROP_FIELDS:
    g_value_set_boxed(value, session_tag_fields_locked(self));
    break;
  case PROP_CONTEXT:
    g_value_set_boxed(value, context);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    break;
  }
  g_mutex_unlock(&self->settings_lock);
}

/* ---- streaming -------------------------------------------------------------- */

/**
 * GstVoiceKitSessionTag "GstVoiceKitSession" event:
 *
 * Sticky serialized custom downstream event sent before the first buffer and
 * before the first buffer after any change (gst_voicekit_event_new_session()):
 * `context` (#GstVoiceKitSessionContext), `webrtc-id` (string), `created-us`
 * (gint64, microseconds since the Unix epoch). The same name answers the
 * custom query of gst_voicekit_pad_query_session_context().
 *
 * Since: 0.2
 */
/* Sends the session event downstream when the context changed since the last
 * one sent. Streaming thread only. Takes ownership of `context`. */
static void session_tag_sync_event(GstVoiceKitSessionTag *self,
                                   GstVoiceKitSessionContext *context) {
  if (context == self->state.sent_context) {
    gst_voicekit_session_context_unref(context);
    return;
  }
  if (self->state.sent_context != nullptr)
    gst_voicekit_session_context_unref(self->state.sent_context);
  self->state.sent_context = context;
  GST_DEBUG_OBJECT(self, "sending session event for '%s'",
                   gst_voicekit_session_context_get_webrtc_id(context));
  gst_pad_push_event(self->srcpad, gst_voicekit_event_new_session(context));
}

/* The context to tag with, after making sure its sticky event went out first.
 * Returns a borrowed pointer owned by state.sent_context. The per-buffer path
 * reads only an atomic version number; the lock is taken after a change. */
static GstVoiceKitSessionContext *session_tag_prepare(GstVoiceKitSessionTag *self) {
  const gint version = g_atomic_int_get(&self->settings.version);
  if (G_UNLIKELY(self->state.sent_context == nullptr || version != self->state.seen_version)) {
    g_mutex_lock(&self->settings_lock);
    self->state.seen_version = self->settings.version;
    GstVoiceKitSessionContext *context = gst_voicekit_session_context_ref(self->settings.context);
    g_mutex_unlock(&self->settings_lock);
    session_tag_sync_event(self, context);
  }
  return self->state.sent_context;
}

static GstBuffer *session_tag_buffer(GstBuffer *buffer, GstVoiceKitSessionContext *context) {
  if (gst_voicekit_buffer_get_session_context(buffer) != context) {
    /* make_writable shares the memory blocks: audio samples are never copied. */
    buffer = gst_buffer_make_writable(buffer);
    gst_voicekit_buffer_set_session_context(buffer, context);
  }
  return buffer;
}

static GstFlowReturn gst_voicekit_session_tag_chain(GstPad *, GstObject *parent,
                                                    GstBuffer *buffer) {
  /* unchecked cast: this runs per buffer and parent is always ours */
  auto *self = reinterpret_cast<GstVoiceKitSessionTag *>(parent);
  GstVoiceKitSessionContext *context = session_tag_prepare(self);
  buffer = session_tag_buffer(buffer, context);
  /* The scope holds its own reference: `context` stays alive through the push
   * even if the streaming state is reset meanwhile. */
  gst_voicekit_session_context_push_current(context);
  GstFlowReturn ret = gst_pad_push(self->srcpad, buffer);
  gst_voicekit_session_context_pop_current();
  return ret;
}

static gboolean tag_list_item(GstBuffer **buffer, guint, gpointer context) {
  *buffer = session_tag_buffer(*buffer, static_cast<GstVoiceKitSessionContext *>(context));
  return TRUE;
}

static GstFlowReturn gst_voicekit_session_tag_chain_list(GstPad *, GstObject *parent,
                                                         GstBufferList *list) {
  auto *self = reinterpret_cast<GstVoiceKitSessionTag *>(parent);
  GstVoiceKitSessionContext *context = session_tag_prepare(self);
  list = gst_buffer_list_make_writable(list);
  gst_buffer_list_foreach(list, tag_list_item, context);
  gst_voicekit_session_context_push_current(context);
  GstFlowReturn ret = gst_pad_push_list(self->srcpad, list);
  gst_voicekit_session_context_pop_current();
  return ret;
}

static gboolean gst_voicekit_session_tag_sink_event(GstPad *pad, GstObject *parent,
                                                    GstEvent *event) {
  GstVoiceKitSessionTag *self = GST_VOICEKIT_SESSION_TAG(parent);
  switch (GST_EVENT_TYPE(event)) {
  case GST_EVENT_CUSTOM_DOWNSTREAM_STICKY:
    if (gst_event_has_name(event, GST_VOICEKIT_SESSION_EVENT_NAME)) {
      GST_DEBUG_OBJECT(self, "dropping upstream session event: ours replaces it");
      gst_event_unref(event);
      return TRUE;
    }
    break;
  case GST_EVENT_STREAM_START:
    /* A new stream: announce the session again once the stream's own sticky
     * events (caps, segment) are through, so sticky order stays right. */
    if (self->state.sent_context != nullptr) {
      gst_voicekit_session_context_unref(self->state.sent_context);
      self->state.sent_context = nullptr;
    }
    break;
  case GST_EVENT_GAP:
  case GST_EVENT_EOS: {
    /* Data-like events: downstream must know the session before them, and
     * what elements push while draining at EOS (encoders, resamplers) is
     * pushed inside the session's scope like any buffer. */
    GstVoiceKitSessionContext *context = session_tag_prepare(self);
    gst_voicekit_session_context_push_current(context);
    const gboolean forwarded = gst_pad_event_default(pad, parent, event);
    gst_voicekit_session_context_pop_current();
    return forwarded;
  }
  default:
    break;
  }
  return gst_pad_event_default(pad, parent, event);
}

static gboolean gst_voicekit_session_tag_src_query(GstPad *pad, GstObject *parent,
                                                   GstQuery *query) {
  GstVoiceKitSessionTag *self = GST_VOICEKIT_SESSION_TAG(parent);
  if (GST_QUERY_TYPE(query) == GST_QUERY_CUSTOM) {
    const GstStructure *structure = gst_query_get_structure(query);
    if (structure != nullptr &&
        gst_structure_has_name(structure, GST_VOICEKIT_SESSION_EVENT_NAME)) {
      GstVoiceKitSessionContext *context = session_tag_ref_context(self);
      if (context == nullptr) /* not started and no id set: no session yet */
        return FALSE;
      gst_voicekit_query_set_session(query, context);
      gst_voicekit_session_context_unref(context);
      return TRUE;
    }
  }
  return gst_pad_query_default(pad, parent, query);
}

static void session_tag_reset_state(GstVoiceKitSessionTag *self) {
  if (self->state.sent_context != nullptr) {
    gst_voicekit_session_context_unref(self->state.sent_context);
    self->state.sent_context = nullptr;
  }
}

/**
 * GstVoiceKitSessionTag "sessiontag" message:
 *
 * Element message posted at READY->PAUSED when the element generated its
 * webrtc-id (none was set): `webrtc-id` (string), the id, and `generated`
 * (boolean, TRUE). Posted once per generated id.
 *
 * Since: 0.2
 */
static GstStateChangeReturn gst_voicekit_session_tag_change_state(GstElement *element,
                                                                  GstStateChange transition) {
  GstVoiceKitSessionTag *self = GST_VOICEKIT_SESSION_TAG(element);
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
    /* Before the pads activate: the stream starts with a session. */
    gchar *announce = session_tag_ensure_id(self);
    if (announce != nullptr) {
      GST_INFO_OBJECT(self, "no webrtc-id set, generated '%s'", announce);
      gst_element_post_message(
          element, gst_message_new_element(GST_OBJECT(self),
                                           gst_structure_new("sessiontag", "webrtc-id",
                                                             G_TYPE_STRING, announce, "generated",
                                                             G_TYPE_BOOLEAN, TRUE, nullptr)));
      g_free(announce);
    }
  }
  GstStateChangeReturn ret =
      GST_ELEMENT_CLASS(gst_voicekit_session_tag_parent_class)->change_state(element, transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    session_tag_reset_state(self);
  return ret;
}

/* ---- GObject ---------------------------------------------------------------- */

static void gst_voicekit_session_tag_finalize(GObject *object) {
  GstVoiceKitSessionTag *self = GST_VOICEKIT_SESSION_TAG(object);
  session_tag_reset_state(self);
  if (self->settings.context != nullptr)
    gst_voicekit_session_context_unref(self->settings.context);
  if (self->settings.fields != nullptr)
    gst_structure_free(self->settings.fields);
  g_mutex_clear(&self->settings_lock);
  G_OBJECT_CLASS(gst_voicekit_session_tag_parent_class)->finalize(object);
}

static void gst_voicekit_session_tag_init(GstVoiceKitSessionTag *self) {
  g_mutex_init(&self->settings_lock);
  self->settings.context = nullptr; /* the id is generated at the start unless set */
  self->settings.fields = nullptr;
  self->settings.id_generated = FALSE;
  self->settings.id_announced = FALSE;
  self->settings.version = 0;
  self->state.sent_context = nullptr;
  self->state.seen_version = -1;

  self->sinkpad = gst_pad_new_from_static_template(&sink_template, "sink");
  gst_pad_set_chain_function(self->sinkpad, GST_DEBUG_FUNCPTR(gst_voicekit_session_tag_chain));
  gst_pad_set_chain_list_function(self->sinkpad,
                                  GST_DEBUG_FUNCPTR(gst_voicekit_session_tag_chain_list));
  gst_pad_set_event_function(self->sinkpad, GST_DEBUG_FUNCPTR(gst_voicekit_session_tag_sink_event));
  GST_PAD_SET_PROXY_CAPS(self->sinkpad);
  GST_PAD_SET_PROXY_ALLOCATION(self->sinkpad);
  GST_PAD_SET_PROXY_SCHEDULING(self->sinkpad);
  gst_element_add_pad(GST_ELEMENT(self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template(&src_template, "src");
  gst_pad_set_query_function(self->srcpad, GST_DEBUG_FUNCPTR(gst_voicekit_session_tag_src_query));
  GST_PAD_SET_PROXY_CAPS(self->srcpad);
  GST_PAD_SET_PROXY_ALLOCATION(self->srcpad);
  GST_PAD_SET_PROXY_SCHEDULING(self->srcpad);
  gst_element_add_pad(GST_ELEMENT(self), self->srcpad);
}

static void gst_voicekit_session_tag_class_init(GstVoiceKitSessionTagClass *klass) {
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);

  GST_DEBUG_CATEGORY_INIT(session_tag_debug, "sessiontag", 0,
                          "tags buffers with their WebRTC session");

  gobject_class->set_property = gst_voicekit_session_tag_set_property;
  gobject_class->get_property = gst_voicekit_session_tag_get_property;
  gobject_class->finalize = gst_voicekit_session_tag_finalize;

  const auto mutable_flags = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                      GST_PARAM_MUTABLE_PLAYING);
  /**
   * GstVoiceKitSessionTag:webrtc-id:
   *
   * Id of the session every buffer is tagged with: 1 to 256 bytes of UTF-8
   * without control characters. NULL (the default): a random URL-safe id
   * (144 bits, 24 characters) is generated at the start (READY->PAUSED) and
   * posted on the bus in a "sessiontag" message; the property reads as the
   * id in use from then on. An invalid id, or NULL while PAUSED or PLAYING,
   * is refused with a warning on the bus and the previous id stays. A new id
   * is a new session (new creation time, same fields), from the next buffer.
   *
   * Since: 0.2
   */
  g_object_class_install_property(
      gobject_class, PROP_WEBRTC_ID,
      g_param_spec_string("webrtc-id", "WebRTC session id",
                          "Session id of every buffer (NULL: generated at start when unset)",
                          nullptr, mutable_flags));
  /**
   * GstVoiceKitSessionTag:fields:
   *
   * Extra session data carried with the id (user, device, auth claims, ...),
   * for example "session,user=alice,device=phone". Changing it keeps the id
   * and the creation time. Default NULL: none.
   *
   * Since: 0.2
   */
  g_object_class_install_property(
      gobject_class, PROP_FIELDS,
      g_param_spec_boxed("fields", "Session fields",
                         "Extra session data, e.g. \"session,user=alice\" (default none)",
                         GST_TYPE_STRUCTURE, mutable_flags));
  /**
   * GstVoiceKitSessionTag:context:
   *
   * The #GstVoiceKitSessionContext being applied (webrtc-id, creation time,
   * fields); NULL before the start when no webrtc-id was set.
   *
   * Since: 0.2
   */
  g_object_class_install_property(
      gobject_class, PROP_CONTEXT,
      g_param_spec_boxed("context", "Session context",
                         "Session being applied (NULL before the start without a webrtc-id)",
                         GST_TYPE_VOICEKIT_SESSION_CONTEXT,
                         static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(
      element_class, "Session tag", "Generic",
      "Tags every buffer with its WebRTC session (webrtc-id and context) as a meta and a "
      "sticky event",
      VOICEKIT_AUTHOR);
  element_class->change_state = GST_DEBUG_FUNCPTR(gst_voicekit_session_tag_change_state);
}
