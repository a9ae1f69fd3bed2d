package dev.groupcast.support;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * A test client that receives JSON frames, whatever the transport. Frames are kept in arrival order;
 * {@link #next} takes the first matching one, waiting for it if it has not come yet. Blocking methods
 * are for the test thread only. The protocol-v1 helpers (join, publish...) send v1 requests.
 */
public abstract class FrameClient implements AutoCloseable {

  private final List<JsonObject> received = new ArrayList<>();
  private final List<Waiter> waiters = new ArrayList<>();
  private final AtomicInteger ids = new AtomicInteger();
  private final AtomicInteger frameCount = new AtomicInteger();
  protected final Promise<Short> closed = Promise.promise();
  public JsonObject welcome;

  private record Waiter(Predicate<JsonObject> match, Promise<JsonObject> promise) {
  }

  /** Sends one text frame as the transport carries it. */
  protected abstract Future<Void> write(String text);

  protected synchronized void onFrame(JsonObject frame) {
    frameCount.incrementAndGet();
    for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
      Waiter w = it.next();
      if (w.match.test(frame)) {
        it.remove();
        w.promise.complete(frame);
        return;
      }
    }
    received.add(frame);
  }

  public String sessionId() {
    return welcome.getString("session");
  }

  /** The first frame, received or to come, that matches; it is taken out of the inbox. */
  public JsonObject next(Predicate<JsonObject> match) {
    Future<JsonObject> frame = expect(match);
    try {
      return Await.result(frame);
    } catch (AssertionError e) {
      // what did come, for a flake seen once: whether the connection was silent, closed or answered otherwise
      throw new AssertionError(e.getMessage() + "; frames received and not taken: " + inbox() + ", "
          + frameCount.get() + " in all, closed: " + closed.future().result(), e);
    }
  }

  public synchronized Future<JsonObject> expect(Predicate<JsonObject> match) {
    for (Iterator<JsonObject> it = received.iterator(); it.hasNext(); ) {
      JsonObject f = it.next();
      if (match.test(f)) {
        it.remove();
        return Future.succeededFuture(f);
      }
    }
    Promise<JsonObject> p = Promise.promise();
    waiters.add(new Waiter(match, p));
    return p.future();
  }

  public JsonObject nextOfType(String type) {
    return next(f -> type.equals(f.getString("type")));
  }

  /** The next {@code message} frame of a group. */
  public JsonObject nextMessage(String group) {
    return next(f -> "message".equals(f.getString("type")) && group.equals(f.getString("group")));
  }

  public List<JsonObject> messages(String group, int count) {
    List<JsonObject> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      out.add(nextMessage(group));
    }
    return out;
  }

  /** Frames received and not taken yet. */
  public synchronized List<JsonObject> inbox() {
    return new ArrayList<>(received);
  }

  public void send(JsonObject frame) {
    Await.result(write(frame.encode()));
  }

  public void sendText(String text) {
    Await.result(write(text));
  }

  /** Sends without waiting for the write to finish: the server may close the connection midway. */
  public void sendTextUnconfirmed(String text) {
    write(text);
  }

  /** Sends a request with a fresh id and waits for the frame that answers it (reply or error). */
  public JsonObject request(JsonObject frame) {
    String id = "r" + ids.incrementAndGet();
    Future<JsonObject> answer = expect(f -> id.equals(f.getValue("id")));
    send(frame.copy().put("id", id));
    return Await.result(answer);
  }

  public JsonObject join(String group) {
    return request(new JsonObject().put("type", "join").put("group", group));
  }

  public JsonObject join(String group, long since) {
    return request(new JsonObject().put("type", "join").put("group", group).put("since", since));
  }

  public JsonObject leave(String group) {
    return request(new JsonObject().put("type", "leave").put("group", group));
  }

  public JsonObject publish(String group, Object body) {
    return request(new JsonObject().put("type", "publish").put("group", group).put("body", body));
  }

  /**
   * Publishes until the server takes it: a {@code rate_limited} answer is tried again (the budget
   * refills with time) until the ack, within {@code seconds}. For a client that slowed down after a burst.
   */
  public JsonObject publishOnceServed(String group, Object body, long seconds) {
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(seconds);
    while (true) {
      JsonObject answer = publish(group, body);
      if (!"rate_limited".equals(answer.getString("code"))) {
        return answer;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("still rate limited after " + seconds + " s");
      }
      ping(); // a round trip between tries, not a fixed wait
    }
  }

  /** Publish without an id: no ack is asked for. */
  public void publishNoAck(String group, Object body) {
    send(new JsonObject().put("type", "publish").put("group", group).put("body", body));
  }

  public JsonObject ping() {
    return request(new JsonObject().put("type", "ping"));
  }

  /** The close code the server sent, once the connection has closed. */
  public short awaitClose() {
    return Await.result(closed.future());
  }
}
