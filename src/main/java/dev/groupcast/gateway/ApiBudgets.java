package dev.groupcast.gateway;

import dev.groupcast.auth.Credentials;
import dev.groupcast.error.ErrorCode;
import dev.groupcast.error.ProtocolException;
import dev.groupcast.group.PublishBudget;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The HTTP API's budget: every {@code /api} request draws on a token bucket of its client's address
 * (behind a trusted proxy, the client it forwards for), or of its credential when {@code auth.required}
 * is on, {@code limits.apiRate} a second and
 * {@code limits.apiBurst} at once; past it, 429
 * {@code rate_limited}. One per node, shared by its event loops. The addresses remembered are
 * bounded (the least recently seen are forgotten first, which only gives them a full bucket again).
 */
public final class ApiBudgets implements Handler<RoutingContext> {

  static final int ADDRESSES_KEPT = 10_000;
  /** How late a refusal is answered. */
  static final long TARPIT_MS = 1000;
  /** Refusals a node holds back at once; past it they are answered at once. */
  static final int HELD_MAX = 10_000;
  private final AtomicInteger held = new AtomicInteger();

  private final int rate;
  private final int burst;
  private final ConnectionsPerAddress addresses;
  private final Map<String, PublishBudget> budgets = new LinkedHashMap<>(256, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, PublishBudget> eldest) {
      return size() > ADDRESSES_KEPT;
    }
  };

  /** With {@code auth.required}, a request's credential (the API key, an admin token) is its budget's key. */
  private final boolean perCredential;

  public ApiBudgets(int rate, int burst, ConnectionsPerAddress addresses, boolean perCredential) {
    this.perCredential = perCredential;
    this.rate = rate;
    this.burst = burst;
    this.addresses = addresses;
  }

  @Override
  public void handle(RoutingContext rc) {
    if (rate == 0) {
      rc.next();
      return;
    }
    // a service behind one address (or many services behind one NAT) is told apart by its key; a
    // request without one counts against its address. Keys that do not authenticate are refused
    // further on, at no cost to the cluster, and can only push other keys out of the bounded map
    String credential = perCredential ? Credentials.admin(rc.request().headers()) : null;
    String client = credential != null ? "key:" + credential
        : "address:" + addresses.clientOf(rc.request().remoteAddress(), rc.request().headers());
    boolean allowed;
    synchronized (budgets) {
      allowed = budgets.computeIfAbsent(client, c -> new PublishBudget(rate, burst)).take(System.nanoTime());
    }
    if (!allowed) {
      ProtocolException refused = new ProtocolException(ErrorCode.RATE_LIMITED, "more than " + rate
          + " API requests a second from this client (limits.apiRate, limits.apiBurst)");
      rc.response().putHeader(HttpHeaders.RETRY_AFTER, "1");
      // answered a second late (a tarpit): a client that keeps its connections busy past its budget
      // then waits on them instead of making the node parse and refuse thousands of requests a second;
      // past HELD_MAX waiting at once on the node, refused at once
      if (held.incrementAndGet() > HELD_MAX) {
        held.decrementAndGet();
        rc.fail(refused);
      } else {
        // spread over half to one and a half TARPIT_MS: answers held together would come back
        // together, and so would the next requests, a burst every second on the loops that also
        // carry everyone else's messages
        long delay = TARPIT_MS / 2 + ThreadLocalRandom.current().nextLong(TARPIT_MS + 1);
        rc.vertx().setTimer(delay, id -> {
          held.decrementAndGet();
          if (!rc.response().closed()) {
            rc.fail(refused);
          }
        });
      }
      return;
    }
    rc.next();
  }
}
