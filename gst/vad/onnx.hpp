/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * A small, bounded reader of ONNX files (protobuf wire format, no libprotobuf):
 * just enough to take the weights of a network out of a model and check the
 * few graph facts an inference engine relies on.
 *
 * The reader never copies the file: tensors, names and subgraphs are views
 * into the caller's buffer, which must outlive them. Every length is checked
 * against the bytes that remain, nesting is limited, and the number of
 * records kept is capped, so a truncated, corrupt or hostile file gives an
 * error, never a crash or an allocation larger than a fixed bound.
 */
#ifndef GST_VAD_ONNX_HPP
#define GST_VAD_ONNX_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace voicekit::vad::onnx {

/* A run of bytes inside the file. */
struct Bytes {
  const std::uint8_t *data = nullptr;
  std::size_t size = 0;
};

constexpr int kMaxDims = 8;
constexpr std::int32_t kFloat = 1; /* TensorProto.DataType.FLOAT */

/* A TensorProto, not decoded beyond its header. */
struct TensorView {
  std::string_view name;
  std::array<std::int64_t, kMaxDims> dims{};
  int rank = 0;
  std::int32_t data_type = 0;
  bool external = false; /* data_location EXTERNAL, or external_data given */
  Bytes message;         /* the whole TensorProto, to decode its data */

  /* Product of dims (1 for a scalar). */
  std::int64_t elements() const;
  /* "[258, 1, 256]" */
  std::string shape_string() const;
};

/* Decodes a FLOAT tensor's data (raw_data, or float_data packed or not) into
 * exactly `count` values; false and a reason if the data is missing, of
 * another size, external or not FLOAT. */
bool read_floats(const TensorView &tensor, float *out, std::size_t count, std::string *error);

/* What a Conv node says about itself (the attributes an engine depends on). */
struct ConvView {
  std::string_view weight; /* input 1 */
  std::array<std::int64_t, 4> strides{}, pads{}, kernel{}, dilations{};
  int n_strides = 0, n_pads = 0, n_kernel = 0, n_dilations = 0;
  std::int64_t group = 1;
};

/* A named tensor found in a graph, as an initializer or a Constant node. */
struct NamedTensor {
  std::string_view name; /* TensorProto.name, or the Constant's output when that is empty */
  std::string_view
      output; /* how nodes refer to it: the Constant's output or the initializer name */
  TensorView tensor;
};

/* One graph (the main graph or a subgraph of an If/Loop/Scan): only the
 * records an engine needs. */
struct GraphView {
  int parent = -1; /* index in Model::graphs, -1 for the main graph */
  int depth = 0;
  std::vector<NamedTensor> tensors; /* only those `wanted` accepted */
  std::vector<ConvView> convs;
  std::vector<std::string_view> pad_modes; /* mode attribute of every Pad node */
  std::vector<std::int64_t> lstm_hidden;   /* hidden_size of every LSTM node */
  int nodes = 0;
};

struct ModelView {
  std::int64_t ir_version = 0;
  std::int64_t default_opset = -1; /* version of the "" / "ai.onnx" domain, -1 if absent */
  std::vector<GraphView> graphs;   /* graphs[0] is the main graph */
};

/* Limits: anything beyond is refused as not a model this reader handles. */
constexpr int kMaxDepth = 8;
constexpr std::size_t kMaxGraphs = 64;
constexpr std::size_t kMaxRecordsPerGraph = 256; /* tensors, convs, pads, lstms each */

/* Decides which tensors to keep, by name (the other constants are skipped). */
using WantedFn = bool (*)(std::string_view name);

/* Parses `size` bytes as an ONNX ModelProto. On failure returns false with a
 * reason naming the problem (and the byte offset for wire-format damage). */
bool parse_model(const std::uint8_t *data, std::size_t size, WantedFn wanted, ModelView *model,
                 std::string *error);

} /* namespace voicekit::vad::onnx */

#endif /* GST_VAD_ONNX_HPP */
