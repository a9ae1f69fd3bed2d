package dev.groupcast.proxy;

import dev.groupcast.ops.NodeMetrics;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;

import java.util.ArrayList;
import java.util.List;

/** Per-backend gauges of the proxy, read from the pool at every scrape (backends come and go). */
public final class ProxyMeters {

  private ProxyMeters() {
  }

  public static void register(NodeMetrics metrics, BackendPool pool) {
    metrics.multiGauge("groupcast.proxy.tunnels", "Open WebSocket tunnels, by backend",
        () -> rows(pool, false));
    metrics.multiGauge("groupcast.proxy.backend.up", "1 when the backend takes traffic (health checks, passive failures)",
        () -> rows(pool, true));
  }

  private static List<MultiGauge.Row<?>> rows(BackendPool pool, boolean up) {
    long now = System.currentTimeMillis();
    List<MultiGauge.Row<?>> rows = new ArrayList<>();
    for (Backend b : pool.backends()) {
      rows.add(MultiGauge.Row.of(Tags.of("backend", b.key()), up ? (b.available(now) ? 1 : 0) : b.tunnels()));
    }
    return rows;
  }
}
