// Value-type status and result used at every module boundary (no exceptions cross a module).
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace mugai {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // bad input from a caller or a user
  kNotFound,
  kIo,               // a read or write failed
  kLimit,            // a configured limit was hit
  kProtocol,         // a peer (worker) sent something malformed
  kConfig,           // configuration is invalid
  kInternal,
  kUnavailable,      // a service that should answer does not (exit 3, say how to start it)
};

class Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }
  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// A value or a non-ok Status. Accessing value() of an error is a programming bug.
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : status_(std::move(status)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() { return *value_; }
  const T& value() const { return *value_; }
  T& operator*() { return *value_; }
  const T& operator*() const { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace mugai
