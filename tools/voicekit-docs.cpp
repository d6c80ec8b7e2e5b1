/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * voicekit-docs: writes the element reference (docs/elements.md) on stdout,
 * from what the GStreamer registry knows of the build tree's plugin, plus the
 * bus messages of voicekit-docs-messages.hpp. Same plugin, same output: no
 * paths, versions, pointers or per-instance values.
 */
#include "build-tree-plugin.hpp"
#include "gst-main.hpp"
#include "voicekit-docs-messages.hpp"

#include <gst/gst.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace {

using voicekit::docs::ElementMessage;
using voicekit::docs::MessageField;

constexpr const char *kPlugin = "voicekit";

/* ---- text ------------------------------------------------------------------- */

std::string printf_string(const char *format, ...) G_GNUC_PRINTF(1, 2);
std::string printf_string(const char *format, ...) {
  va_list args;
  va_start(args, format);
  gchar *text = g_strdup_vprintf(format, args);
  va_end(args);
  std::string result = text;
  g_free(text);
  return result;
}

/* A table cell: no line breaks, no column separators. */
std::string cell(const std::string &text) {
  std::string out;
  for (char c : text) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n')
      out += ' ';
    else
      out += c;
  }
  return out;
}

std::string code(const std::string &text) {
  return "`" + text + "`";
}

/* Locale-independent and the same on every machine: %g. */
std::string number(double value) {
  gchar buffer[G_ASCII_DTOSTR_BUF_SIZE];
  return g_ascii_formatd(buffer, sizeof buffer, "%g", value);
}

/* ---- types ------------------------------------------------------------------ */

GType strip_scope(GType type) {
  return type & ~G_SIGNAL_TYPE_STATIC_SCOPE;
}

/* A C spelling of a GValue type: pointer types get a star. */
std::string c_type(GType type) {
  const std::string name = g_type_name(type);
  if (G_TYPE_IS_CLASSED(type) || G_TYPE_IS_INTERFACE(type) ||
      G_TYPE_FUNDAMENTAL(type) == G_TYPE_BOXED || G_TYPE_FUNDAMENTAL(type) == G_TYPE_POINTER ||
      g_type_is_a(type, GST_TYPE_MINI_OBJECT))
    if (!G_TYPE_IS_ENUM(type) && !G_TYPE_IS_FLAGS(type))
      return name + " *";
  if (type == G_TYPE_STRING)
    return "gchar *";
  return name + " ";
}

bool is_enum_or_flags(GType type) {
  return G_TYPE_IS_ENUM(type) || G_TYPE_IS_FLAGS(type);
}

std::string enum_value_text(GType type, gint value) {
  GEnumClass *klass = G_ENUM_CLASS(g_type_class_ref(type));
  GEnumValue *entry = g_enum_get_value(klass, value);
  std::string text = entry != nullptr ? printf_string("%s (%d)", entry->value_nick, value)
                                      : printf_string("%d", value);
  g_type_class_unref(klass);
  return text;
}

std::string flags_value_text(GType type, guint value) {
  GFlagsClass *klass = G_FLAGS_CLASS(g_type_class_ref(type));
  std::string text;
  for (guint i = 0; i < klass->n_values; ++i) {
    const GFlagsValue &entry = klass->values[i];
    if (entry.value != 0 && (value & entry.value) == entry.value)
      text += (text.empty() ? "" : "+") + std::string(entry.value_nick);
  }
  g_type_class_unref(klass);
  return printf_string("%s (0x%08x)", text.empty() ? "none" : text.c_str(), value);
}

/* ---- properties ------------------------------------------------------------- */

/* Type, range and default of a property, from its GParamSpec (never from an
 * instance: a generated webrtc-id would differ every run). */
struct PropertyFacts {
  std::string range;
  std::string fallback;
};

/* An integer as printf's %d, %u, %ld... write it; a float or double as number(). */
template <typename T> std::string number_text(T value) {
  if constexpr (std::is_floating_point_v<T>)
    return number(value);
  else
    return std::to_string(value);
}

/* Range and default of a numeric property; Spec is its GParamSpec type
 * (GParamSpecInt, ...), all of which have minimum, maximum and default_value. */
template <typename Spec> PropertyFacts numeric_facts(GParamSpec *spec) {
  const auto *s = reinterpret_cast<const Spec *>(spec);
  return {number_text(s->minimum) + " to " + number_text(s->maximum),
          number_text(s->default_value)};
}

PropertyFacts property_facts(GParamSpec *spec) {
  const std::pair<GType, PropertyFacts (*)(GParamSpec *)> numeric[] = {
      {G_TYPE_PARAM_INT, numeric_facts<GParamSpecInt>},
      {G_TYPE_PARAM_UINT, numeric_facts<GParamSpecUInt>},
      {G_TYPE_PARAM_LONG, numeric_facts<GParamSpecLong>},
      {G_TYPE_PARAM_ULONG, numeric_facts<GParamSpecULong>},
      {G_TYPE_PARAM_INT64, numeric_facts<GParamSpecInt64>},
      {G_TYPE_PARAM_UINT64, numeric_facts<GParamSpecUInt64>},
      {G_TYPE_PARAM_FLOAT, numeric_facts<GParamSpecFloat>},
      {G_TYPE_PARAM_DOUBLE, numeric_facts<GParamSpecDouble>},
  };
  for (const auto &[param_type, facts_of] : numeric)
    if (G_TYPE_CHECK_INSTANCE_TYPE(spec, param_type))
      return facts_of(spec);

  PropertyFacts facts;
  const GValue *fallback = g_param_spec_get_default_value(spec);
  const GType type = G_PARAM_SPEC_VALUE_TYPE(spec);
  if (G_IS_PARAM_SPEC_BOOLEAN(spec)) {
    facts.fallback = g_value_get_boolean(fallback) ? "true" : "false";
  } else if (G_IS_PARAM_SPEC_STRING(spec)) {
    const gchar *text = g_value_get_string(fallback);
    facts.fallback = text != nullptr ? printf_string("\"%s\"", text) : "NULL";
  } else if (G_IS_PARAM_SPEC_ENUM(spec)) {
    facts.fallback = enum_value_text(type, g_value_get_enum(fallback));
  } else if (G_IS_PARAM_SPEC_FLAGS(spec)) {
    facts.fallback = flags_value_text(type, g_value_get_flags(fallback));
  } else {
    /* Boxed, object, pointer: no default a reader could use but "none". */
    facts.fallback = "NULL";
  }
  return facts;
}

/* "a, b, c" */
std::string join(const std::vector<std::string> &words) {
  std::string text;
  for (const auto &word : words)
    text += (text.empty() ? "" : ", ") + word;
  return text;
}

/* In gst-inspect-1.0's words. */
std::string property_flags(GParamSpec *spec) {
  /* Each row names the first of its flags that is set: construct-only before
   * construct, the widest state a property is changeable in first. */
  const std::vector<std::vector<std::pair<guint, const char *>>> rows = {
      {{G_PARAM_READABLE, "readable"}},
      {{G_PARAM_WRITABLE, "writable"}},
      {{G_PARAM_CONSTRUCT_ONLY, "construct-only"}, {G_PARAM_CONSTRUCT, "construct"}},
      {{G_PARAM_DEPRECATED, "deprecated"}},
      {{GST_PARAM_CONTROLLABLE, "controllable"}},
      {{GST_PARAM_CONDITIONALLY_AVAILABLE, "conditionally available"}},
      {{GST_PARAM_MUTABLE_PLAYING, "changeable in NULL, READY, PAUSED or PLAYING state"},
       {GST_PARAM_MUTABLE_PAUSED, "changeable only in NULL, READY or PAUSED state"},
       {GST_PARAM_MUTABLE_READY, "changeable only in NULL or READY state"}},
  };
  std::vector<std::string> words;
  for (const auto &row : rows) {
    const auto set = std::find_if(row.begin(), row.end(),
                                  [&](const auto &entry) { return spec->flags & entry.first; });
    if (set != row.end())
      words.emplace_back(set->second);
  }
  return join(words);
}

/* Types an element's own API is made of, below GstElement: its properties and
 * signals come from these (GstObject's `name` and `parent`, GstElement's
 * signals are everybody's and documented upstream). */
bool documented_owner(GType owner) {
  return !g_type_is_a(GST_TYPE_ELEMENT, owner);
}

void write_properties(GType element_type, std::set<GType> &enums) {
  guint n = 0;
  GObjectClass *klass = G_OBJECT_CLASS(g_type_class_ref(element_type));
  GParamSpec **specs = g_object_class_list_properties(klass, &n);
  std::vector<GParamSpec *> own;
  for (guint i = 0; i < n; ++i)
    if (documented_owner(specs[i]->owner_type))
      own.push_back(specs[i]);
  std::sort(own.begin(), own.end(), [](GParamSpec *a, GParamSpec *b) {
    return g_strcmp0(g_param_spec_get_name(a), g_param_spec_get_name(b)) < 0;
  });
  std::printf("### Properties\n\n");
  if (own.empty())
    std::printf("None.\n\n");
  for (GParamSpec *spec : own) {
    const GType type = G_PARAM_SPEC_VALUE_TYPE(spec);
    if (is_enum_or_flags(type))
      enums.insert(type);
    const PropertyFacts facts = property_facts(spec);
    std::printf("#### %s\n\n", g_param_spec_get_name(spec));
    const gchar *blurb = g_param_spec_get_blurb(spec);
    std::printf("%s\n\n", blurb != nullptr ? blurb : "");
    std::printf("| Type | Range | Default | Flags |\n|---|---|---|---|\n");
    std::printf("| %s | %s | %s | %s |", code(g_type_name(type)).c_str(),
                facts.range.empty() ? "" : cell(facts.range).c_str(), cell(facts.fallback).c_str(),
                property_flags(spec).c_str());
    if (spec->owner_type != element_type)
      std::printf(" inherited from %s", g_type_name(spec->owner_type));
    std::printf("\n\n");
  }
  g_free(specs);
  g_type_class_unref(klass);
}

/* ---- signals ---------------------------------------------------------------- */

std::string signal_flags(GSignalFlags flags) {
  const std::pair<GSignalFlags, const char *> names[] = {
      {G_SIGNAL_RUN_FIRST, "run-first"},     {G_SIGNAL_RUN_LAST, "run-last"},
      {G_SIGNAL_RUN_CLEANUP, "run-cleanup"}, {G_SIGNAL_NO_RECURSE, "no-recurse"},
      {G_SIGNAL_DETAILED, "detailed"},       {G_SIGNAL_ACTION, "action"},
      {G_SIGNAL_NO_HOOKS, "no-hooks"},       {G_SIGNAL_DEPRECATED, "deprecated"},
  };
  std::vector<std::string> words;
  for (const auto &[flag, name] : names)
    if (flags & flag)
      words.emplace_back(name);
  return join(words);
}

void write_signals(GType element_type, std::set<GType> &enums) {
  std::vector<GSignalQuery> plain;
  std::vector<GSignalQuery> actions;
  for (GType type = element_type; documented_owner(type); type = g_type_parent(type)) {
    guint n = 0;
    guint *ids = g_signal_list_ids(type, &n);
    for (guint i = 0; i < n; ++i) {
      GSignalQuery query;
      g_signal_query(ids[i], &query);
      (query.signal_flags & G_SIGNAL_ACTION ? actions : plain).push_back(query);
    }
    g_free(ids);
  }
  auto by_name = [](const GSignalQuery &a, const GSignalQuery &b) {
    return g_strcmp0(a.signal_name, b.signal_name) < 0;
  };
  for (auto *list : {&plain, &actions}) {
    std::sort(list->begin(), list->end(), by_name);
    std::printf("### %s\n\n", list == &plain ? "Signals" : "Action signals");
    if (list->empty())
      std::printf("None.\n\n");
    for (const GSignalQuery &query : *list) {
      std::printf("#### %s\n\n", query.signal_name);
      const GType return_type = strip_scope(query.return_type);
      std::string prototype =
          c_type(return_type) + "handler (" + g_type_name(query.itype) + " *element";
      if (is_enum_or_flags(return_type))
        enums.insert(return_type);
      for (guint i = 0; i < query.n_params; ++i) {
        const GType param = strip_scope(query.param_types[i]);
        if (is_enum_or_flags(param))
          enums.insert(param);
        prototype += ", " + c_type(param) + printf_string("arg%u", i);
      }
      prototype += list == &plain ? ", gpointer user_data)" : ")";
      /* `c_type` leaves "name *" or "name ": no space before the argument name */
      std::printf("```c\n%s\n```\n\n", prototype.c_str());
      if (query.itype != element_type)
        std::printf("Inherited from %s. ", g_type_name(query.itype));
      std::printf("Flags: %s.\n\n", signal_flags(query.signal_flags).c_str());
    }
  }
}

/* ---- pad templates ---------------------------------------------------------- */

/* The nick GStreamer registers for an enum value ("src", "always"). */
std::string enum_nick(GType type, gint value) {
  GEnumClass *klass = G_ENUM_CLASS(g_type_class_ref(type));
  const GEnumValue *entry = g_enum_get_value(klass, value);
  std::string nick = entry != nullptr ? entry->value_nick : "unknown";
  g_type_class_unref(klass);
  return nick;
}

void write_pad_templates(GstElementFactory *factory) {
  std::vector<GstStaticPadTemplate *> templates;
  for (const GList *item = gst_element_factory_get_static_pad_templates(factory); item != nullptr;
       item = item->next)
    templates.push_back(static_cast<GstStaticPadTemplate *>(item->data));
  std::sort(templates.begin(), templates.end(),
            [](GstStaticPadTemplate *a, GstStaticPadTemplate *b) {
              return g_strcmp0(a->name_template, b->name_template) < 0;
            });
  std::printf("### Pad templates\n\n");
  for (GstStaticPadTemplate *pad : templates) {
    std::printf("#### %s\n\n", pad->name_template);
    std::printf("Direction %s, presence %s.\n\n",
                enum_nick(GST_TYPE_PAD_DIRECTION, pad->direction).c_str(),
                enum_nick(GST_TYPE_PAD_PRESENCE, pad->presence).c_str());
    GstCaps *caps = gst_static_caps_get(&pad->static_caps);
    std::printf("```\n");
    if (gst_caps_is_any(caps)) {
      std::printf("ANY\n");
    } else if (gst_caps_is_empty(caps)) {
      std::printf("EMPTY\n");
    } else {
      for (guint i = 0; i < gst_caps_get_size(caps); ++i) {
        gchar *text = gst_structure_to_string(gst_caps_get_structure(caps, i));
        const size_t length = std::strlen(text);
        if (length > 0 && text[length - 1] == ';') /* GStreamer 1.22 ends each with one */
          text[length - 1] = '\0';
        std::printf("%s\n", text);
        g_free(text);
      }
    }
    std::printf("```\n\n");
    gst_caps_unref(caps);
  }
}

/* ---- messages --------------------------------------------------------------- */

void write_messages(const char *element) {
  std::printf("### Bus messages\n\n");
  bool any = false;
  for (const ElementMessage &message : voicekit::docs::element_messages()) {
    if (g_strcmp0(message.element, element) != 0)
      continue;
    any = true;
    std::printf("#### %s\n\n", message.name);
    std::printf("An element message posted %s.", message.posted_when);
    if (!message.kinds.empty()) {
      std::printf(" Its `event` field says which:\n\n");
      for (const auto &kind : message.kinds)
        std::printf("- \"%s\": %s%s\n", kind.event, kind.posted_when,
                    &kind == &message.kinds.back() ? "." : ";");
    }
    std::printf("\n| Field | Type | Unit | In | Meaning |\n|---|---|---|---|---|\n");
    for (const MessageField &field : message.fields) {
      std::string in = field.kinds[0] != '\0' ? field.kinds : "all";
      if (field.optional)
        in += std::string(", not when ") + message.absent_when;
      std::printf("| %s | %s | %s | %s | %s |\n", code(field.name).c_str(),
                  code(field.type).c_str(), field.unit, cell(in).c_str(),
                  cell(field.meaning).c_str());
    }
    std::printf("\n");
  }
  if (!any)
    std::printf("None.\n\n");
}

/* ---- enums ------------------------------------------------------------------ */

/* The table rows of an enum's (Class GEnumClass) or a flags type's
 * (GFlagsClass) values: the value (flags in hex), nick and description. */
template <typename Class> void write_value_rows(GType type) {
  auto *klass = static_cast<Class *>(g_type_class_ref(type));
  for (guint i = 0; i < klass->n_values; ++i) {
    const auto &value = klass->values[i];
    std::string number;
    if constexpr (std::is_same_v<Class, GEnumClass>)
      number = printf_string("%d", value.value);
    else
      number = printf_string("0x%08x", value.value);
    /* value_name is the description in GStreamer's enums and flags. */
    std::printf("| %s | %s | %s |\n", number.c_str(), code(value.value_nick).c_str(),
                cell(value.value_name).c_str());
  }
  g_type_class_unref(klass);
}

void write_enums(const std::set<GType> &types) {
  std::vector<GType> sorted(types.begin(), types.end());
  std::sort(sorted.begin(), sorted.end(),
            [](GType a, GType b) { return g_strcmp0(g_type_name(a), g_type_name(b)) < 0; });
  std::printf("## Enumerations and flags\n\n");
  if (sorted.empty())
    std::printf("None.\n\n");
  for (GType type : sorted) {
    std::printf("### %s\n\n", g_type_name(type));
    std::printf("| Value | Nick | Description |\n|---|---|---|\n");
    if (G_TYPE_IS_ENUM(type))
      write_value_rows<GEnumClass>(type);
    else
      write_value_rows<GFlagsClass>(type);
    std::printf("\n");
  }
}

/* ---- elements --------------------------------------------------------------- */

std::string rank_name(guint rank) {
  switch (rank) {
  case GST_RANK_NONE:
    return "none (0)";
  case GST_RANK_MARGINAL:
    return "marginal (64)";
  case GST_RANK_SECONDARY:
    return "secondary (128)";
  case GST_RANK_PRIMARY:
    return "primary (256)";
  default:
    return printf_string("%u", rank);
  }
}

std::string ancestry(GType type) {
  std::string text = g_type_name(type);
  for (GType parent = g_type_parent(type); parent != 0; parent = g_type_parent(parent))
    text = std::string(g_type_name(parent)) + " > " + text;
  return text;
}

void write_element(GstElementFactory *factory, std::set<GType> &enums) {
  /* The type is registered by loading the feature. */
  GstPluginFeature *loaded = gst_plugin_feature_load(GST_PLUGIN_FEATURE(factory));
  GstElementFactory *element = GST_ELEMENT_FACTORY(loaded);
  const GType type = gst_element_factory_get_element_type(element);
  const char *name = gst_plugin_feature_get_name(loaded);
  std::printf("## %s\n\n", name);
  std::printf("| | |\n|---|---|\n");
  const std::pair<const char *, const char *> keys[] = {
      {"Long name", GST_ELEMENT_METADATA_LONGNAME},
      {"Klass", GST_ELEMENT_METADATA_KLASS},
      {"Description", GST_ELEMENT_METADATA_DESCRIPTION},
      {"Author", GST_ELEMENT_METADATA_AUTHOR}};
  for (const auto &key : keys) {
    const gchar *value = gst_element_factory_get_metadata(element, key.second);
    std::printf("| %s | %s |\n", key.first, cell(value != nullptr ? value : "").c_str());
  }
  std::printf("| Rank | %s |\n", rank_name(gst_plugin_feature_get_rank(loaded)).c_str());
  std::printf("| GType | %s |\n\n", code(ancestry(type)).c_str());
  write_pad_templates(element);
  write_properties(type, enums);
  write_signals(type, enums);
  write_messages(name);
  gst_object_unref(loaded);
}

int write_reference() {
  GstPlugin *plugin = gst_registry_find_plugin(gst_registry_get(), kPlugin);
  if (plugin == nullptr) {
    std::fprintf(stderr, "voicekit-docs: no plugin named %s in the registry\n", kPlugin);
    return 1;
  }
  GList *features = gst_registry_get_feature_list_by_plugin(gst_registry_get(), kPlugin);
  std::vector<GstElementFactory *> factories;
  for (GList *item = features; item != nullptr; item = item->next)
    if (GST_IS_ELEMENT_FACTORY(item->data))
      factories.push_back(GST_ELEMENT_FACTORY(item->data));
  std::sort(factories.begin(), factories.end(), [](GstElementFactory *a, GstElementFactory *b) {
    return g_strcmp0(gst_plugin_feature_get_name(a), gst_plugin_feature_get_name(b)) < 0;
  });

  std::printf("<!-- Generated by tools/voicekit-docs.cpp (scripts/gen-elements-doc) from the "
              "GStreamer registry and tools/voicekit-docs-messages.hpp. Do not edit: "
              "regenerate. -->\n\n");
  std::printf("# Element reference: plugin %s\n\n", kPlugin);
  std::printf("%s. License %s, source module %s, %s.\n\n", gst_plugin_get_description(plugin),
              gst_plugin_get_license(plugin), gst_plugin_get_source(plugin),
              gst_plugin_get_origin(plugin));
  std::printf("Elements:");
  for (GstElementFactory *factory : factories)
    std::printf(" [%s](#%s)%s", gst_plugin_feature_get_name(factory),
                gst_plugin_feature_get_name(factory), factory == factories.back() ? ".\n\n" : ",");
  std::printf("Properties and signals are each element's own: GstObject's `name` and `parent` "
              "and GstElement's signals are left out. Defaults are the property's, not an "
              "instance's.\n\n");

  std::set<GType> enums;
  for (GstElementFactory *factory : factories)
    write_element(factory, enums);
  write_enums(enums);
  gst_plugin_feature_list_free(features);
  gst_object_unref(plugin);
  return 0;
}

int run_main(int argc, char **) {
  int status = 1;
  if (argc > 1) {
    std::fprintf(stderr, "usage: voicekit-docs > docs/elements.md\n");
    status = 2;
  } else if (voicekit::load_build_tree_plugin("voicekit-docs")) {
    status = write_reference();
  }
  std::fflush(stdout);
  return status;
}

} /* namespace */

int main(int argc, char **argv) {
  return voicekit::gst_main(argc, argv, run_main);
}
