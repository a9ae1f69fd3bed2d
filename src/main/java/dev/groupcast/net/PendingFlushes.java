package dev.groupcast.net;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.FastThreadLocal;

import java.util.ArrayList;
import java.util.List;

/**
 * The connections of one event loop that frames were written to without a flush. The first one
 * queues a single task behind the work already waiting (more deliveries, usually), and that task
 * flushes them all: a burst of messages fanned out to N members costs N system calls, not one per
 * frame, and one task per event loop rather than one per connection.
 */
public final class PendingFlushes {

  /** A connection that can flush what it has written; it is listed at most once until flushed. */
  public interface Flushable {
    void flushNow();
  }

  private static final FastThreadLocal<PendingFlushes> OF_EVENT_LOOP = new FastThreadLocal<>() {
    @Override
    protected PendingFlushes initialValue() {
      return new PendingFlushes();
    }
  };

  private final List<Flushable> pending = new ArrayList<>();
  private final Runnable flushAll = this::flushAll;
  private boolean scheduled;

  /** Call on the event loop of {@code loop}, which is the connection's. */
  public static void add(Flushable connection, EventExecutor loop) {
    PendingFlushes flushes = OF_EVENT_LOOP.get();
    flushes.pending.add(connection);
    if (!flushes.scheduled) {
      flushes.scheduled = true;
      loop.execute(flushes.flushAll);
    }
  }

  private void flushAll() {
    scheduled = false;
    // size() is read each time: a connection listed again meanwhile is flushed in this same pass
    for (int i = 0; i < pending.size(); i++) {
      pending.get(i).flushNow();
    }
    pending.clear();
  }
}
