// The service's counters, gauges and histograms, and their Prometheus text exposition
// (https://prometheus.io/docs/instrumenting/exposition_formats/). No maintained C++ client
// library for Prometheus is packaged in Debian 12; the text format is a few lines of
// escaping, written here and checked in tests by prometheus_client's own parser.
// Thread-safe: the pipeline's threads count while `mugai serve`'s HTTP thread renders.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace mugai {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class Metrics {
 public:
  enum class Type { kCounter, kGauge, kHistogram };

  // Declares a family once (its type and help line). Count/Set/Observe on an undeclared
  // name is a programming error and is ignored.
  void Declare(const std::string& name, Type type, const std::string& help);

  void Add(const std::string& name, const MetricLabels& labels, double by = 1);
  void Set(const std::string& name, const MetricLabels& labels, double value);
  void Observe(const std::string& name, const MetricLabels& labels, double value);

  // A counter's current value (0 when never counted), for tests and /healthz.
  double Value(const std::string& name, const MetricLabels& labels) const;

  // Every family in declaration order, as Prometheus text format 0.0.4.
  std::string Render() const;

  // Latency buckets in seconds, shared by every histogram.
  static const std::vector<double>& Buckets();

 private:
  struct Series {
    double value = 0;               // counter, gauge; the sum for a histogram
    uint64_t count = 0;             // histogram
    std::vector<uint64_t> buckets;  // histogram: per bucket (not cumulative)
  };
  struct Family {
    Type type;
    std::string help;
    std::map<std::string, Series> series;  // by rendered label set
  };
  Series* Find(const std::string& name, const MetricLabels& labels, Type type);

  mutable std::mutex mutex_;
  std::vector<std::string> order_;
  std::map<std::string, Family> families_;
};

// `{a="x",b="y"}` with Prometheus escaping; "" for no labels.
std::string RenderLabels(const MetricLabels& labels);

}  // namespace mugai
