package dev.groupcast.bench;

import io.vertx.core.json.JsonObject;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/** Latencies recorded in nanoseconds from any event loop, reported in milliseconds. */
final class Latencies {

  private final Histogram histogram = new ConcurrentHistogram(3);

  void record(long nanos) {
    histogram.recordValue(Math.max(0, nanos));
  }

  long count() {
    return histogram.getTotalCount();
  }

  double percentileMs(double percentile) {
    return histogram.getTotalCount() == 0 ? 0 : round(histogram.getValueAtPercentile(percentile) / 1e6);
  }

  JsonObject toJson() {
    return new JsonObject()
        .put("p50", percentileMs(50))
        .put("p99", percentileMs(99))
        .put("p999", percentileMs(99.9))
        .put("max", histogram.getTotalCount() == 0 ? 0 : round(histogram.getMaxValue() / 1e6));
  }

  static double round(double ms) {
    return Math.round(ms * 1000) / 1000.0;
  }
}
