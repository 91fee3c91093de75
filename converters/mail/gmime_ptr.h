// Owning pointer for GMime (GObject) objects, shared by the mail reader and writer.
#pragma once

#include <glib-object.h>

#include <memory>

namespace mugai {

template <typename T>
struct GUnref {
  void operator()(T* p) const {
    if (p) g_object_unref(p);
  }
};
template <typename T>
using GPtr = std::unique_ptr<T, GUnref<T>>;

}  // namespace mugai
