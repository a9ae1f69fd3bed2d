package dev.groupcast.proxy;

import dev.groupcast.config.Balance;
import dev.groupcast.config.HashKey;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.HttpServerRequest;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/** {@code proxy.balance}: picks a backend among the usable ones for a new request or tunnel. */
interface BalancePolicy {

  Backend pick(List<Backend> backends, HashRing ring, HttpServerRequest request, Predicate<Backend> usable);

  static BalancePolicy of(Balance balance, HashKey hashKey) {
    RoundRobin roundRobin = new RoundRobin();
    return switch (balance) {
      case ROUND_ROBIN -> roundRobin;
      case LEAST_CONN -> new LeastConn();
      case IP_HASH -> (backends, ring, request, usable) ->
          ring.pick(request.remoteAddress() == null ? "" : request.remoteAddress().hostAddress(), usable);
      case HASH -> (backends, ring, request, usable) -> {
        String key = keyOf(hashKey, request);
        return key == null ? roundRobin.pick(backends, ring, request, usable) : ring.pick(key, usable);
      };
    };
  }

  /** The value of the hash key in the request, or null (then round-robin decides). */
  static String keyOf(HashKey hashKey, HttpServerRequest request) {
    return switch (hashKey.source()) {
      case HEADER -> request.getHeader(hashKey.name());
      case QUERY -> request.getParam(hashKey.name());
      case COOKIE -> {
        Cookie c = request.getCookie(hashKey.name());
        yield c == null ? null : c.getValue();
      }
    };
  }

  final class RoundRobin implements BalancePolicy {
    private final AtomicInteger next = new AtomicInteger();

    @Override
    public Backend pick(List<Backend> backends, HashRing ring, HttpServerRequest request, Predicate<Backend> usable) {
      int n = backends.size();
      int start = next.getAndIncrement() & Integer.MAX_VALUE;
      for (int i = 0; i < n; i++) {
        Backend b = backends.get((start + i) % n);
        if (usable.test(b)) {
          return b;
        }
      }
      return null;
    }
  }

  final class LeastConn implements BalancePolicy {
    private final AtomicInteger rotation = new AtomicInteger();

    @Override
    public Backend pick(List<Backend> backends, HashRing ring, HttpServerRequest request, Predicate<Backend> usable) {
      int n = backends.size();
      int start = rotation.getAndIncrement() & Integer.MAX_VALUE; // ties go round
      Backend best = null;
      for (int i = 0; i < n; i++) {
        Backend b = backends.get((start + i) % n);
        if (usable.test(b) && (best == null || b.active() < best.active())) {
          best = b;
        }
      }
      return best;
    }
  }
}
