// Prometheus text format: families with # HELP and # TYPE, then one line per series.
#include "gateway/service/metrics.h"

#include <cmath>
#include <cstdio>

namespace mugai {

namespace {

std::string Escape(const std::string& s, bool quote) {
  std::string out;
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quote) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

std::string Number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

// Adds one label to an already rendered set ("" or "{...}").
std::string WithLabel(const std::string& rendered, const std::string& key, const std::string& value) {
  std::string one = key + "=\"" + Escape(value, true) + "\"";
  if (rendered.empty()) return "{" + one + "}";
  return rendered.substr(0, rendered.size() - 1) + "," + one + "}";
}

}  // namespace

std::string RenderLabels(const MetricLabels& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i) out += ",";
    out += labels[i].first + "=\"" + Escape(labels[i].second, true) + "\"";
  }
  return out + "}";
}

const std::vector<double>& Metrics::Buckets() {
  static const std::vector<double> b = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                        1,     2.5,  5,     10,   30,  60,  120};
  return b;
}

void Metrics::Declare(const std::string& name, Type type, const std::string& help) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (families_.count(name)) return;
  order_.push_back(name);
  families_[name] = Family{type, help, {}};
}

Metrics::Series* Metrics::Find(const std::string& name, const MetricLabels& labels, Type type) {
  auto it = families_.find(name);
  if (it == families_.end() || it->second.type != type) return nullptr;
  Series& s = it->second.series[RenderLabels(labels)];
  if (type == Type::kHistogram && s.buckets.empty()) s.buckets.assign(Buckets().size(), 0);
  return &s;
}

void Metrics::Add(const std::string& name, const MetricLabels& labels, double by) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (Series* s = Find(name, labels, Type::kCounter)) s->value += by;
}

void Metrics::Set(const std::string& name, const MetricLabels& labels, double value) {
  std::lock_guard<std::mutex> lock(mutex_);
  // A gauge; or a counter kept elsewhere (a process's own count) and copied in when read.
  Series* s = Find(name, labels, Type::kGauge);
  if (!s) s = Find(name, labels, Type::kCounter);
  if (s) s->value = value;
}

void Metrics::Observe(const std::string& name, const MetricLabels& labels, double value) {
  std::lock_guard<std::mutex> lock(mutex_);
  Series* s = Find(name, labels, Type::kHistogram);
  if (!s) return;
  s->value += value;
  ++s->count;
  const auto& b = Buckets();
  for (size_t i = 0; i < b.size(); ++i) {
    if (value <= b[i]) {
      ++s->buckets[i];
      break;
    }
  }
}

double Metrics::Value(const std::string& name, const MetricLabels& labels) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = families_.find(name);
  if (it == families_.end()) return 0;
  auto s = it->second.series.find(RenderLabels(labels));
  return s == it->second.series.end() ? 0 : s->second.value;
}

std::string Metrics::Render() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string out;
  for (const std::string& name : order_) {
    const Family& f = families_.at(name);
    out += "# HELP " + name + " " + Escape(f.help, false) + "\n";
    out += "# TYPE " + name + " " +
           (f.type == Type::kCounter ? "counter" : f.type == Type::kGauge ? "gauge" : "histogram") +
           "\n";
    for (const auto& [labels, s] : f.series) {
      if (f.type != Type::kHistogram) {
        out += name + labels + " " + Number(s.value) + "\n";
        continue;
      }
      uint64_t cumulative = 0;
      const auto& b = Buckets();
      for (size_t i = 0; i < b.size(); ++i) {
        cumulative += s.buckets[i];
        out += name + "_bucket" + WithLabel(labels, "le", Number(b[i])) + " " +
               std::to_string(cumulative) + "\n";
      }
      out += name + "_bucket" + WithLabel(labels, "le", "+Inf") + " " + std::to_string(s.count) + "\n";
      out += name + "_sum" + labels + " " + Number(s.value) + "\n";
      out += name + "_count" + labels + " " + std::to_string(s.count) + "\n";
    }
  }
  return out;
}

}  // namespace mugai
