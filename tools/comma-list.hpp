/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * The items of a comma-separated option value ("builtin,silero"), for the
 * programs of this tree that take lists (vad-eval, bench-load).
 */
#ifndef TOOLS_COMMA_LIST_HPP
#define TOOLS_COMMA_LIST_HPP

#include <sstream>
#include <string>
#include <vector>

namespace voicekit {

/* The non-empty items of `text`, in order: "a,,b," gives a and b. */
inline std::vector<std::string> comma_list(const std::string &text) {
  std::vector<std::string> items;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty())
      items.push_back(item);
  return items;
}

} /* namespace voicekit */

#endif /* TOOLS_COMMA_LIST_HPP */
