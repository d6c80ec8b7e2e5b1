/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * ONNX reader: see onnx.hpp. Protobuf wire format: every field is a varint
 * key (field number << 3 | wire type) and a value: 0 varint, 1 eight bytes,
 * 2 length-delimited, 5 four bytes (3 and 4, groups, are not used by ONNX).
 */
#include "onnx.hpp"

#include <cstring>
#include <limits>

namespace voicekit::vad::onnx {

namespace {

enum Wire : std::uint32_t { kVarint = 0, kFixed64 = 1, kLength = 2, kFixed32 = 5 };

/* Reads one message's fields, each length checked against the end of the
 * message (itself checked against its parent's). */
class Reader {
public:
  Reader(const std::uint8_t *file, Bytes message)
      : file_(file), p_(message.data), end_(message.data + message.size) {}

  bool done() const { return p_ == end_; }

  /* Next key; false at a malformed key (error set). */
  bool key(std::uint32_t *field, std::uint32_t *wire, std::string *error) {
    const std::uint8_t *at = p_;
    std::uint64_t value;
    if (!varint(&value, error))
      return false;
    *field = static_cast<std::uint32_t>(value >> 3);
    *wire = static_cast<std::uint32_t>(value & 7);
    if ((value >> 3) == 0 || (value >> 3) > 536870911u)
      return fail(at, "bad field number", error);
    if (*wire != kVarint && *wire != kFixed64 && *wire != kLength && *wire != kFixed32)
      return fail(at, "unsupported wire type " + std::to_string(*wire), error);
    return true;
  }

  bool varint(std::uint64_t *value, std::string *error) {
    const std::uint8_t *at = p_;
    std::uint64_t result = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      if (p_ == end_)
        return fail(at, "truncated (varint runs past the end of its message)", error);
      const std::uint8_t byte = *p_++;
      if (shift == 63 && byte > 1)
        return fail(at, "varint overflows 64 bits", error);
      result |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) {
        *value = result;
        return true;
      }
    }
    return fail(at, "varint longer than 10 bytes", error);
  }

  bool length_delimited(Bytes *out, std::string *error) {
    const std::uint8_t *at = p_;
    std::uint64_t length;
    if (!varint(&length, error))
      return false;
    if (length > static_cast<std::uint64_t>(end_ - p_))
      return fail(at,
                  "truncated (a field of " + std::to_string(length) + " bytes, " +
                      std::to_string(end_ - p_) + " left in its message)",
                  error);
    out->data = p_;
    out->size = static_cast<std::size_t>(length);
    p_ += length;
    return true;
  }

  bool fixed(std::size_t bytes, std::uint64_t *out, std::string *error) {
    if (static_cast<std::size_t>(end_ - p_) < bytes)
      return fail(p_, "truncated (fixed-size field past the end of its message)", error);
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < bytes; i++)
      value |= static_cast<std::uint64_t>(p_[i]) << (8 * i);
    p_ += bytes;
    *out = value;
    return true;
  }

  bool skip(std::uint32_t wire, std::string *error) {
    std::uint64_t ignored;
    Bytes bytes;
    switch (wire) {
    case kVarint:
      return varint(&ignored, error);
    case kFixed64:
      return fixed(8, &ignored, error);
    case kFixed32:
      return fixed(4, &ignored, error);
    default:
      return length_delimited(&bytes, error);
    }
  }

  /* Reads an int64 field value (varint, two's complement). */
  bool int64(std::uint32_t wire, std::int64_t *out, std::string *error) {
    if (wire != kVarint)
      return fail(p_, "integer field with wire type " + std::to_string(wire), error);
    std::uint64_t value = 0;
    if (!varint(&value, error))
      return false;
    *out = static_cast<std::int64_t>(value);
    return true;
  }

  std::size_t offset() const { return static_cast<std::size_t>(p_ - file_); }

  bool fail(const std::uint8_t *at, const std::string &what, std::string *error) const {
    if (error != nullptr)
      *error = what + " at byte " + std::to_string(at - file_);
    return false;
  }

private:
  const std::uint8_t *file_;
  const std::uint8_t *p_;
  const std::uint8_t *end_;
};

std::string_view as_string(Bytes bytes) {
  return {reinterpret_cast<const char *>(bytes.data), bytes.size};
}

/* Repeated int64 field, packed (wire 2) or not (wire 0), into a fixed array.
 * Values past N are read and dropped, and *overflow says so. */
template <std::size_t N>
bool read_ints(Reader &reader, const std::uint8_t *file, std::uint32_t wire,
               std::array<std::int64_t, N> *values, int *count, bool *overflow,
               std::string *error) {
  auto push = [&](std::int64_t value) {
    if (*count >= static_cast<int>(N))
      *overflow = true;
    else
      (*values)[static_cast<std::size_t>((*count)++)] = value;
  };
  if (wire == kVarint) {
    std::int64_t value;
    if (!reader.int64(wire, &value, error))
      return false;
    push(value);
    return true;
  }
  if (wire != kLength)
    return reader.fail(file, "integer list with wire type " + std::to_string(wire), error);
  Bytes packed;
  if (!reader.length_delimited(&packed, error))
    return false;
  Reader inner(file, packed);
  while (!inner.done()) {
    std::int64_t value;
    if (!inner.int64(kVarint, &value, error))
      return false;
    push(value);
  }
  return true;
}

bool parse_tensor(const std::uint8_t *file, Bytes message, TensorView *tensor, std::string *error) {
  tensor->message = message;
  Reader reader(file, message);
  while (!reader.done()) {
    std::uint32_t field, wire;
    if (!reader.key(&field, &wire, error))
      return false;
    if (field == 1) { /* dims */
      bool overflow = false;
      if (!read_ints(reader, file, wire, &tensor->dims, &tensor->rank, &overflow, error))
        return false;
      if (overflow) {
        if (error != nullptr)
          *error = "tensor with more than " + std::to_string(kMaxDims) + " dimensions near byte " +
                   std::to_string(reader.offset());
        return false;
      }
    } else if (field == 2) { /* data_type */
      std::int64_t type;
      if (!reader.int64(wire, &type, error))
        return false;
      tensor->data_type = static_cast<std::int32_t>(type);
    } else if (field == 8 && wire == kLength) { /* name */
      Bytes name;
      if (!reader.length_delimited(&name, error))
        return false;
      tensor->name = as_string(name);
    } else if (field == 13) { /* external_data */
      tensor->external = true;
      if (!reader.skip(wire, error))
        return false;
    } else if (field == 14) { /* data_location */
      std::int64_t location;
      if (!reader.int64(wire, &location, error))
        return false;
      if (location == 1)
        tensor->external = true;
    } else if (!reader.skip(wire, error)) {
      return false;
    }
  }
  for (int i = 0; i < tensor->rank; i++)
    if (tensor->dims[static_cast<std::size_t>(i)] < 0) {
      if (error != nullptr)
        *error = "negative dimension in tensor '" + std::string(tensor->name) + "'";
      return false;
    }
  return true;
}

struct Parser {
  const std::uint8_t *file;
  WantedFn wanted;
  ModelView *model;
  std::string *error;

  bool refuse(const std::string &why) {
    if (error != nullptr)
      *error = why;
    return false;
  }

  template <typename T> bool add(std::vector<T> &records, T record, const char *what) {
    if (records.size() >= kMaxRecordsPerGraph)
      return refuse(std::string("more than ") + std::to_string(kMaxRecordsPerGraph) + " " + what +
                    " in one graph");
    records.push_back(record);
    return true;
  }

  bool graph(Bytes message, int parent, int depth) {
    if (depth > kMaxDepth)
      return refuse("subgraphs nested deeper than " + std::to_string(kMaxDepth));
    if (model->graphs.size() >= kMaxGraphs)
      return refuse("more than " + std::to_string(kMaxGraphs) + " graphs");
    const int index = static_cast<int>(model->graphs.size());
    model->graphs.emplace_back();
    model->graphs.back().parent = parent;
    model->graphs.back().depth = depth;
    Reader reader(file, message);
    while (!reader.done()) {
      std::uint32_t field, wire;
      if (!reader.key(&field, &wire, error))
        return false;
      if ((field == 1 || field == 5) && wire == kLength) {
        Bytes sub;
        if (!reader.length_delimited(&sub, error))
          return false;
        if (field == 1 ? !node(sub, index, depth) : !initializer(sub, index))
          return false;
      } else if (!reader.skip(wire, error)) {
        return false;
      }
    }
    return true;
  }

  bool initializer(Bytes message, int index) {
    TensorView tensor;
    if (!parse_tensor(file, message, &tensor, error))
      return false;
    if (!wanted(tensor.name))
      return true;
    return add(model->graphs[static_cast<std::size_t>(index)].tensors,
               NamedTensor{tensor.name, tensor.name, tensor}, "weight tensors");
  }

  /* Attributes are read in two steps: what the node needs now, and the
   * subgraphs, walked after the node (so that a graph's records stay in the
   * order of its nodes). */
  bool node(Bytes message, int index, int depth) {
    std::string_view op, first_output, second_input;
    int inputs = 0;
    std::array<Bytes, 8> subgraphs{};
    std::size_t n_subgraphs = 0;
    std::array<Bytes, 16> attributes{};
    std::size_t n_attributes = 0;
    Reader reader(file, message);
    while (!reader.done()) {
      std::uint32_t field, wire;
      if (!reader.key(&field, &wire, error))
        return false;
      if (wire != kLength || (field != 1 && field != 2 && field != 4 && field != 5)) {
        if (!reader.skip(wire, error))
          return false;
        continue;
      }
      Bytes value;
      if (!reader.length_delimited(&value, error))
        return false;
      if (field == 1 && inputs++ == 1)
        second_input = as_string(value);
      else if (field == 2 && first_output.empty())
        first_output = as_string(value);
      else if (field == 4)
        op = as_string(value);
      else if (field == 5) {
        if (n_attributes == attributes.size())
          return refuse("a node with more than " + std::to_string(attributes.size()) +
                        " attributes near byte " + std::to_string(reader.offset()));
        attributes[n_attributes++] = value;
      }
    }
    GraphView &graph = model->graphs[static_cast<std::size_t>(index)];
    graph.nodes++;
    ConvView conv;
    conv.weight = second_input;
    for (std::size_t a = 0; a < n_attributes; a++) {
      if (!attribute(attributes[a], op, first_output, index, &conv, &subgraphs, &n_subgraphs))
        return false;
    }
    if (op == "Conv" && !add(graph.convs, conv, "Conv nodes"))
      return false;
    for (std::size_t g = 0; g < n_subgraphs; g++)
      if (!this->graph(subgraphs[g], index, depth + 1))
        return false;
    return true;
  }

  bool attribute(Bytes message, std::string_view op, std::string_view output, int index,
                 ConvView *conv, std::array<Bytes, 8> *subgraphs, std::size_t *n_subgraphs) {
    std::string_view name, text;
    std::int64_t integer = 0;
    bool has_tensor = false;
    TensorView tensor;
    std::array<std::int64_t, 4> ints{};
    int n_ints = 0;
    bool ints_too_long = false;
    Reader reader(file, message);
    while (!reader.done()) {
      std::uint32_t field, wire;
      if (!reader.key(&field, &wire, error))
        return false;
      /* name, s, t, g, graphs: length-delimited, else skipped */
      const bool bytes_field = field == 1 || field == 4 || field == 5 || field == 6 || field == 11;
      if (bytes_field && wire != kLength) {
        if (!reader.skip(wire, error))
          return false;
        continue;
      }
      Bytes value;
      if (bytes_field && !reader.length_delimited(&value, error))
        return false;
      switch (field) {
      case 1: /* name */
      case 4: /* s */
        (field == 1 ? name : text) = as_string(value);
        break;
      case 3: /* i */
        if (!reader.int64(wire, &integer, error))
          return false;
        break;
      case 5: /* t */
        if (!parse_tensor(file, value, &tensor, error))
          return false;
        has_tensor = true;
        break;
      case 6:  /* g */
      case 11: /* graphs */
        if (*n_subgraphs == subgraphs->size())
          return refuse("a node with more than 8 subgraphs");
        (*subgraphs)[(*n_subgraphs)++] = value;
        break;
      case 8: /* ints */
        if (!read_ints(reader, file, wire, &ints, &n_ints, &ints_too_long, error))
          return false;
        break;
      default:
        if (!reader.skip(wire, error))
          return false;
      }
    }
    GraphView &graph = model->graphs[static_cast<std::size_t>(index)];
    if (op == "Constant" && name == "value" && has_tensor) {
      /* Exporters name the tensor, or only the node's output. */
      const std::string_view tensor_name = wanted(tensor.name) ? tensor.name : output;
      if (wanted(tensor_name))
        return add(graph.tensors, NamedTensor{tensor_name, output, tensor}, "weight tensors");
    } else if (op == "Conv") {
      auto keep = [&](std::array<std::int64_t, 4> *into, int *count) {
        if (ints_too_long)
          return refuse("Conv attribute '" + std::string(name) + "' with too many values");
        *into = ints;
        *count = n_ints;
        return true;
      };
      if (name == "strides")
        return keep(&conv->strides, &conv->n_strides);
      if (name == "pads")
        return keep(&conv->pads, &conv->n_pads);
      if (name == "kernel_shape")
        return keep(&conv->kernel, &conv->n_kernel);
      if (name == "dilations")
        return keep(&conv->dilations, &conv->n_dilations);
      if (name == "group")
        conv->group = integer;
    } else if (op == "Pad" && name == "mode") {
      return add(graph.pad_modes, text, "Pad nodes");
    } else if (op == "LSTM" && name == "hidden_size") {
      return add(graph.lstm_hidden, integer, "LSTM nodes");
    }
    return true;
  }
};

} /* namespace */

std::int64_t TensorView::elements() const {
  std::int64_t count = 1;
  for (int i = 0; i < rank; i++) {
    const std::int64_t dim = dims[static_cast<std::size_t>(i)];
    if (dim != 0 && count > std::numeric_limits<std::int64_t>::max() / 4 / dim)
      return -1; /* absurd: overflows any buffer */
    count *= dim;
  }
  return count;
}

std::string TensorView::shape_string() const {
  std::string out = "[";
  for (int i = 0; i < rank; i++) {
    if (i > 0)
      out += ", ";
    out += std::to_string(dims[static_cast<std::size_t>(i)]);
  }
  return out + "]";
}

bool read_floats(const TensorView &tensor, float *out, std::size_t count, std::string *error) {
  auto refuse = [&](const std::string &why) {
    if (error != nullptr)
      *error = "tensor '" + std::string(tensor.name) + "': " + why;
    return false;
  };
  if (tensor.external)
    return refuse("data stored outside the model file (external data) is not supported");
  if (tensor.data_type != kFloat)
    return refuse("data type " + std::to_string(tensor.data_type) + ", expected FLOAT (1)");
  if (tensor.elements() != static_cast<std::int64_t>(count))
    return refuse("shape " + tensor.shape_string() + " holds " + std::to_string(tensor.elements()) +
                  " values, expected " + std::to_string(count));
  /* The buffer's start: the reader reports offsets from it, and only the
   * message's own bytes are read. */
  Reader reader(tensor.message.data, tensor.message);
  std::size_t unpacked = 0;
  bool raw = false, packed = false;
  std::string why;
  while (!reader.done()) {
    std::uint32_t field, wire;
    if (!reader.key(&field, &wire, &why))
      return refuse(why);
    if (field == 9 && wire == kLength) { /* raw_data: little-endian floats */
      Bytes bytes;
      if (!reader.length_delimited(&bytes, &why))
        return refuse(why);
      if (bytes.size != count * 4)
        return refuse("raw_data of " + std::to_string(bytes.size) + " bytes, expected " +
                      std::to_string(count * 4));
      for (std::size_t i = 0; i < count; i++) {
        const std::uint8_t *b = bytes.data + 4 * i;
        const std::uint32_t bits =
            static_cast<std::uint32_t>(b[0]) | static_cast<std::uint32_t>(b[1]) << 8 |
            static_cast<std::uint32_t>(b[2]) << 16 | static_cast<std::uint32_t>(b[3]) << 24;
        std::memcpy(&out[i], &bits, 4);
      }
      raw = true;
    } else if (field == 4 && wire == kLength) { /* float_data, packed */
      Bytes bytes;
      if (!reader.length_delimited(&bytes, &why))
        return refuse(why);
      if (bytes.size % 4 != 0 || unpacked + bytes.size / 4 > count)
        return refuse("float_data does not hold " + std::to_string(count) + " values");
      for (std::size_t i = 0; i < bytes.size / 4; i++) {
        const std::uint8_t *b = bytes.data + 4 * i;
        const std::uint32_t bits =
            static_cast<std::uint32_t>(b[0]) | static_cast<std::uint32_t>(b[1]) << 8 |
            static_cast<std::uint32_t>(b[2]) << 16 | static_cast<std::uint32_t>(b[3]) << 24;
        std::memcpy(&out[unpacked++], &bits, 4);
      }
      packed = true;
    } else if (field == 4 && wire == kFixed32) { /* float_data, one value */
      std::uint64_t bits = 0;
      if (!reader.fixed(4, &bits, &why))
        return refuse(why);
      if (unpacked == count)
        return refuse("float_data holds more than " + std::to_string(count) + " values");
      const std::uint32_t bits32 = static_cast<std::uint32_t>(bits);
      std::memcpy(&out[unpacked++], &bits32, 4);
      packed = true;
    } else if (!reader.skip(wire, &why)) {
      return refuse(why);
    }
  }
  if (raw && packed)
    return refuse("both raw_data and float_data");
  if (!raw && unpacked != count)
    return refuse(packed ? "float_data holds " + std::to_string(unpacked) + " values, expected " +
                               std::to_string(count)
                         : std::string("no data"));
  return true;
}

bool parse_model(const std::uint8_t *data, std::size_t size, WantedFn wanted, ModelView *model,
                 std::string *error) {
  *model = ModelView{};
  auto refuse = [&](const std::string &why) {
    if (error != nullptr)
      *error = why;
    return false;
  };
  if (size == 0)
    return refuse("empty file");
  Reader reader(data, Bytes{data, size});
  Bytes graph{};
  int graphs = 0;
  while (!reader.done()) {
    std::uint32_t field, wire;
    if (!reader.key(&field, &wire, error))
      return false;
    if (field == 1) { /* ir_version */
      if (!reader.int64(wire, &model->ir_version, error))
        return false;
    } else if (field == 7 && wire == kLength) { /* graph */
      if (!reader.length_delimited(&graph, error))
        return false;
      graphs++;
    } else if (field == 8 && wire == kLength) { /* opset_import */
      Bytes opset;
      if (!reader.length_delimited(&opset, error))
        return false;
      Reader inner(data, opset);
      std::string_view domain;
      std::int64_t version = -1;
      while (!inner.done()) {
        std::uint32_t f, w;
        if (!inner.key(&f, &w, error))
          return false;
        Bytes text;
        if (f == 1 && w == kLength) {
          if (!inner.length_delimited(&text, error))
            return false;
          domain = as_string(text);
        } else if (f == 2) {
          if (!inner.int64(w, &version, error))
            return false;
        } else if (!inner.skip(w, error)) {
          return false;
        }
      }
      if (domain.empty() || domain == "ai.onnx")
        model->default_opset = version;
    } else if (!reader.skip(wire, error)) {
      return false;
    }
  }
  if (model->ir_version <= 0)
    return refuse("not an ONNX model (no ir_version)");
  if (graphs != 1)
    return refuse(graphs == 0 ? "not an ONNX model (no graph)" : "more than one main graph");
  /* opset_import follows the graph in files written by the usual exporters:
   * without it the file is cut short (or not a model). */
  if (model->default_opset < 1)
    return refuse("no opset_import for the default ONNX domain (truncated file?)");
  Parser parser{data, wanted, model, error};
  return parser.graph(graph, -1, 0);
}

} /* namespace voicekit::vad::onnx */
