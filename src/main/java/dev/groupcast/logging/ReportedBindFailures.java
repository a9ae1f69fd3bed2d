package dev.groupcast.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import org.slf4j.LoggerFactory;
import org.slf4j.Marker;

/**
 * While a node starts, a port that cannot be bound is reported by {@code Main} as one line naming
 * its key. Hazelcast and Vert.x log the same failure on their own, with stack traces (and Vert.x a
 * second error as it leaves the cluster it could not join): those events are dropped, nothing else.
 * Installed for the start only.
 */
public final class ReportedBindFailures extends TurboFilter {

  private static final String HAZELCAST_ADDRESS_PICKER = "com.hazelcast.instance.AddressPicker";
  private static final String VERTX = "io.vertx.core.impl.VertxImpl";

  private volatile boolean seen;

  /** Installs the filter on logback's context, if logback is the binding; returns it, or null. */
  public static ReportedBindFailures install() {
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      ReportedBindFailures filter = new ReportedBindFailures();
      filter.setContext(context);
      filter.start();
      context.addTurboFilter(filter);
      return filter;
    }
    return null;
  }

  /** The start is over: every event is logged again. */
  public void remove() {
    if (getContext() instanceof LoggerContext context) {
      context.getTurboFilterList().remove(this);
    }
  }

  @Override
  public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
    if (level != Level.ERROR || logger == null) {
      return FilterReply.NEUTRAL;
    }
    String name = logger.getName();
    if (!name.equals(HAZELCAST_ADDRESS_PICKER) && !name.equals(VERTX)) {
      return FilterReply.NEUTRAL;
    }
    Throwable failure = t != null ? t : lastThrowable(params);
    if (isBindFailure(failure)) {
      seen = true;
      return FilterReply.DENY;
    }
    // vertx-hazelcast then fails to leave the cluster it never joined (a null pointer): same cause
    return seen && name.equals(VERTX) && format != null && format.startsWith("Failed to leave cluster")
        ? FilterReply.DENY : FilterReply.NEUTRAL;
  }

  private static Throwable lastThrowable(Object[] params) {
    return params != null && params.length > 0 && params[params.length - 1] instanceof Throwable e ? e : null;
  }

  static boolean isBindFailure(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      String message = String.valueOf(t.getMessage());
      if (t instanceof java.net.BindException || message.startsWith("bind(") || message.contains("already in use")) {
        return true;
      }
    }
    return false;
  }
}
