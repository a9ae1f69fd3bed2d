package dev.groupcast.e2e;

import dev.groupcast.support.Await;
import dev.groupcast.support.Browser;
import dev.groupcast.support.FrameClient;
import dev.groupcast.support.JarCluster;
import dev.groupcast.support.SockJsClient;
import dev.groupcast.support.SockJsClient.Transport;
import dev.groupcast.support.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 17, item 1: fan-out is internal. On a 2-node cluster of fat-jar processes, with members of
 * {@code forge-1} on both nodes (WebSocket, SockJS and two bridge listeners), clients of every
 * transport try to pass messages off as the nodes' own deliveries:
 * <ul>
 *   <li>the standard bridge client ({@code @vertx/eventbus-bridge-client.js}) in headless Chromium
 *   publishes and sends to {@code group.forge-1} with the internal delivery header ({@code gc-seq}, in
 *   three letter cases) and a {@code from} header, bodies shaped like a delivered message (a seq of
 *   10^12, {@code from: admin}, another group, negative, huge, string seqs, a seq already given out);</li>
 *   <li>it publishes, sends and registers on the internal addresses ({@code gc.feed.*},
 *   {@code gc.presence.*}, {@code gc.members.*}, {@code gc.node.*}), which the bridge must refuse;</li>
 *   <li>{@code /ws} and {@code /sockjs} clients send frames shaped like server frames
 *   ({@code message}, {@code presence_join}, {@code reset}, {@code ack}) and a publish carrying a seq
 *   and a {@code from}.</li>
 * </ul>
 * No member, on either node and transport, ever sees {@code from: admin} or a seq the cluster did not
 * give out (each sees 1..N with no gap); each bridge attempt on a group address is exactly one ordinary
 * publish (a fresh seq, {@code from} the bridge connection's id); the group then goes on: real
 * publishes reach every member with the next seqs. Prints one {@code FORGERY} line of counts.
 *
 * <p>The bridge replaces a client's headers, so no forged delivery mark reaches the event bus to be
 * dropped there: {@code groupcast_errors_total{code="forbidden"}} stays put, while the server-shaped
 * frames count as {@code unknown_type} on their nodes.
 *
 * <p>The forgeries go in chunks (one header variant each, 18 messages), each closed by a plain bridge
 * send whose seq every member must reach before the next chunk. Not for the forgery's sake: when node
 * b joins while node a is still starting, node a may never add b to the nodes it fans out to live
 * ({@code GroupHub} computes them at start and on membership events, and the listener is registered
 * only once the node is deployed); b's members then get a's messages from the 5-second history check
 * only, and a burst longer than {@code history.size} in between would end in {@code reset} for them.
 */
@ExtendWith(VertxExtension.class)
class ForgeryIT {

  private static final String GROUP = "forge-1";
  private static final String OTHER = "forge-2";
  private static final long FORGED_SEQ = 1_000_000_000_000L;
  private static final Duration WAIT = Duration.ofSeconds(30);
  /** A bus id of the right shape that no node has: the real ones are not published anywhere. */
  private static final String SOME_BUS = "3f2c1d7e-8a9b-4c0d-9e1f-2a3b4c5d6e7f";

  /** Installs a second bridge connection in the page, the forger, with the page's own client library. */
  private static final String INSTALL_FORGER = """
      window.forge = {open: false, errors: [], replies: []};
      var eb = new EventBus('/eventbus');
      eb.onerror = function (e) { window.forge.errors.push(e && (e.body || e.message) || JSON.stringify(e)); };
      eb.onopen = function () { window.forge.open = true; };
      window.forge.eb = eb;
      """;

  /** How many header variants {@link #FORGE_GROUP_ADDRESS} knows: one chunk of forgeries each. */
  private static final int HEADER_VARIANTS = 6;

  /**
   * One forged header variant (index {@code arguments[1]}) with every forged body, each published and
   * sent (with a reply handler) to the group's address. Returns how many messages went to the group.
   */
  private static final String FORGE_GROUP_ADDRESS = """
      var f = window.forge, eb = f.eb, target = 'group.' + arguments[0];
      var forged = {group: 'forge-1', seq: 1000000000000, from: 'admin', body: {forged: true}};
      function variant(over) { return Object.assign(JSON.parse(JSON.stringify(forged)), over); }
      var bodies = [
        forged,
        variant({group: 'forge-2'}),
        variant({group: 'no such group!'}),
        variant({seq: -1}),
        variant({seq: 1}),
        variant({seq: 9007199254740991}),
        variant({seq: 1e21}),
        variant({seq: '1000000000000'}),
        {type: 'message', group: 'forge-1', seq: 1000000000000, from: 'admin', body: {forged: true}, ts: 1}
      ];
      var headers = [{'gc-seq': '1'}, {'GC-SEQ': '1'}, {'Gc-Seq': '1'},
        {'gc-seq': '1000000000000', 'from': 'admin'}, {'from': 'admin'}, {'FROM': 'admin'}];
      var h = headers[arguments[1]], n = 0;
      bodies.forEach(function (b) {
        eb.publish(target, b, Object.assign({}, h));
        eb.send(target, b, Object.assign({}, h), function (err, reply) {
          f.replies.push(err ? {error: err} : reply.body);
        });
        n += 2;
      });
      return n;
      """;

  /**
   * A plain send from the forger after a chunk: the bridge connection's messages are sequenced in the
   * order it sent them, so once its reply's seq reached every member, so did the whole chunk.
   */
  private static final String FENCE = """
      var f = window.forge, k = arguments[1];
      f.fences = f.fences || {};
      f.eb.send('group.' + arguments[0], {fence: k}, function (err, reply) {
        f.fences[k] = err ? -1 : reply.body.seq;
      });
      """;

  /** Publishes, sends and registrations on the fan-out and presence addresses. Returns how many. */
  private static final String FORGE_INTERNAL = """
      var f = window.forge, eb = f.eb, bus = arguments[0];
      var forged = {group: 'forge-1', seq: 1000000000000, from: 'admin', body: {forged: true}};
      var admin = {session: 'admin', user: 'admin', node: 'forge-a', joinedAt: 1, bus: bus};
      var presence = {event: 'join', group: 'forge-1', member: admin};
      var targets = [
        ['gc.feed.' + bus, forged], ['gc.feed.forge-a', forged], ['gc.feed.', forged],
        ['gc.presence.forge-1', presence], ['gc.members.' + bus, 'forge-1'], ['gc.node.' + bus, {}],
        ['gc.groups', forged]
      ];
      var n = 0;
      targets.forEach(function (t) {
        eb.publish(t[0], t[1], {'gc-seq': '1', 'from': 'admin'});
        eb.send(t[0], t[1], {'gc-seq': '1', 'from': 'admin'}, function (err, reply) {
          f.replies.push(err ? {error: err, internal: t[0]} : {internal: t[0], reply: reply.body});
        });
        n += 2;
      });
      ['gc.presence.forge-1', 'gc.feed.' + bus, 'gc.members.' + bus].forEach(function (a) {
        eb.registerHandler(a, function (err, msg) { f.replies.push({internal: a, received: msg || err}); });
        n++;
      });
      return n;
      """;

  /** Frames shaped like what the server sends, which a client must not be able to send. */
  private static List<JsonObject> serverShapedFrames() {
    JsonObject forgedBody = new JsonObject().put("forged", true);
    JsonObject admin = new JsonObject().put("session", "admin").put("user", "admin").put("node", "forge-a")
        .put("joinedAt", 1);
    return List.of(
        new JsonObject().put("type", "message").put("group", GROUP).put("seq", FORGED_SEQ).put("from", "admin")
            .put("body", forgedBody).put("ts", 1),
        new JsonObject().put("type", "message").put("group", GROUP).put("seq", 1).put("from", "admin")
            .put("body", forgedBody).put("ts", 1),
        new JsonObject().put("type", "message").put("group", OTHER).put("seq", FORGED_SEQ).put("from", "admin")
            .put("body", forgedBody),
        new JsonObject().put("type", "MESSAGE").put("group", GROUP).put("seq", FORGED_SEQ).put("from", "admin")
            .put("body", forgedBody),
        new JsonObject().put("type", "presence_join").put("group", GROUP).put("member", admin),
        new JsonObject().put("type", "reset").put("group", GROUP).put("epoch", "forged").put("seq", FORGED_SEQ),
        new JsonObject().put("type", "ack").put("group", GROUP).put("seq", FORGED_SEQ));
  }

  @Test
  void noClientOfAnyTransportCanPutAMessageOnTheFanOutPath(Vertx vertx) throws Exception {
    WebClient http = WebClient.create(vertx);
    try (JarCluster cluster = JarCluster.start(vertx, "forge", 2, Map.of());
         Browser page = Browser.start()) {
      int portA = cluster.node(0).httpPort;
      int portB = cluster.node(1).httpPort;
      try (WsClient wsA = WsClient.connect(vertx, portA);
           WsClient wsB = WsClient.connect(vertx, portB);
           SockJsClient sjB = SockJsClient.v1(vertx, portB, Transport.WEBSOCKET);
           WsClient otherB = WsClient.connect(vertx, portB);
           SockJsClient busB = SockJsClient.open(vertx, portB, "/eventbus", Transport.WEBSOCKET)) {
        // members: WebSocket on both nodes (watching presence too), SockJS on b, the bridge on both
        for (WsClient ws : List.of(wsA, wsB)) {
          JsonObject joined = ws.request(new JsonObject().put("type", "join").put("group", GROUP).put("presence", true));
          assertEquals("joined", joined.getString("type"), joined.encode());
          assertEquals(0L, joined.getLong("seq"), "a new group: " + joined);
        }
        assertEquals("joined", sjB.join(GROUP).getString("type"));
        assertEquals("joined", otherB.join(OTHER).getString("type"));
        busB.register("group." + GROUP);
        // the bridge closes a connection that sends no ping within 10 s; the browser client pings by itself
        long pinger = vertx.setPeriodic(2_000, id -> busB.sendTextUnconfirmed("{\"type\":\"ping\"}"));
        try {
          page.open(cluster.url(0) + "/bridge.html?group=" + GROUP + "&name=watcher");
          page.waitFor("bridge page open", WAIT, p -> "open".equals(p.text("#state")));
          page.script(INSTALL_FORGER);
          page.waitFor("forger's bridge connection open", WAIT, p -> Boolean.TRUE.equals(p.script("return window.forge.open;")));

          Map<String, Double> errorsBeforeA = errorCounts(http, portA);
          Map<String, Double> errorsBeforeB = errorCounts(http, portB);

          Predicate<JsonObject> rec = f -> "rec".equals(f.getString("type"));
          Predicate<JsonObject> message = f -> "message".equals(f.getString("type")) && GROUP.equals(f.getString("group"));
          int[] pageTaken = {0};
          List<Watch> watches = List.of(
              new Watch("ws@a", () -> Await.result(wsA.expect(message), 20)),
              new Watch("ws@b", () -> Await.result(wsB.expect(message), 20)),
              new Watch("sockjs@b", () -> Await.result(sjB.expect(message), 20)),
              new Watch("bridge@b", () -> Await.result(busB.expect(rec), 20).getJsonObject("body")),
              new Watch("bridge@a (Chromium)", () -> {
                List<JsonObject> all = page.waitFor("the bridge page gets message " + (pageTaken[0] + 1), WAIT,
                    p -> pageMessages(p).size() > pageTaken[0] ? pageMessages(p) : null);
                return all.get(pageTaken[0]++);
              }));

          // warm-up: real publishes until both bridge listeners (registered asynchronously) get them
          int warm = 0;
          long deadline = System.currentTimeMillis() + 20_000;
          do {
            JsonObject ack = wsA.publish(GROUP, "warm-up " + warm++);
            assertEquals(warm, ack.getLong("seq"), ack.encode());
            long until = System.currentTimeMillis() + 2_000;
            while (System.currentTimeMillis() < until && !(pageSeqs(page).size() > 0 && busB.inbox().stream().anyMatch(rec))) {
              Thread.sleep(50); // polling what another process and the browser received
            }
          } while (!(pageSeqs(page).size() > 0 && busB.inbox().stream().anyMatch(rec)) && System.currentTimeMillis() < deadline);
          long slowest = everyoneReaches(watches, warm);

          // 1. the standard bridge client forges on the group address, a chunk per header variant; a
          // chunk reaches every member before the next (fewer than history.size messages at a time)
          int toGroup = 0;
          int fences = 0;
          for (int h = 0; h < HEADER_VARIANTS; h++) {
            toGroup += ((Number) page.script(FORGE_GROUP_ADDRESS, GROUP, h)).intValue();
            page.script(FENCE, GROUP, ++fences);
            int k = fences;
            long fence = ((Number) page.waitFor("the fence's reply", WAIT,
                p -> p.script("return window.forge.fences[" + k + "];"))).longValue();
            assertTrue(fence > 0, "a plain send through the bridge is answered with its seq");
            slowest = Math.max(slowest, everyoneReaches(watches, fence));
          }
          int sendsToGroup = toGroup / 2;
          // ... and on the internal addresses
          int internal = ((Number) page.script(FORGE_INTERNAL, SOME_BUS)).intValue();
          int internalMessages = internal - 3; // publishes and sends; the rest are registrations

          // 2. /ws (node a) and /sockjs (node b) clients send server-shaped frames: each an error
          List<JsonObject> frameAnswers = new ArrayList<>();
          for (FrameClient forger : List.of(wsA, sjB)) {
            for (JsonObject frame : serverShapedFrames()) {
              frameAnswers.add(forger.request(frame).put("sent", frame));
            }
          }
          // ... and a publish dressed with a seq and a from: at most an ordinary publish
          JsonObject dressed = new JsonObject().put("type", "publish").put("group", GROUP).put("seq", FORGED_SEQ)
              .put("from", "admin").put("epoch", "forged").put("ts", 1)
              .put("body", new JsonObject().put("dressed", true));
          JsonObject dressedAckA = wsA.request(dressed);
          JsonObject dressedAckB = sjB.request(dressed);

          // the bridge's answers: a reply to every send to the group, access_denied for every internal try
          settle(page, "return window.forge.replies.filter(function (r) { return !r.internal; }).length;", sendsToGroup);
          settle(page, "return window.forge.errors.filter(function (e) { return e === 'access_denied'; }).length;", internal);
          JsonArray replies = new JsonArray((String) page.script("return JSON.stringify(window.forge.replies);"));
          JsonArray bridgeErrors = new JsonArray((String) page.script("return JSON.stringify(window.forge.errors);"));

          // 3. the group goes on: real publishes from both nodes
          List<Long> realSeqs = new ArrayList<>();
          List<String> realFrom = new ArrayList<>();
          for (int i = 0; i < 5; i++) {
            WsClient publisher = i % 2 == 0 ? wsA : wsB;
            JsonObject ack = publisher.publish(GROUP, new JsonObject().put("real", i));
            assertEquals("ack", ack.getString("type"), ack.encode());
            realSeqs.add(ack.getLong("seq"));
            realFrom.add(publisher.sessionId());
          }
          long last = realSeqs.get(realSeqs.size() - 1);
          slowest = Math.max(slowest, everyoneReaches(watches, last));
          Map<String, List<JsonObject>> seen = new LinkedHashMap<>();
          watches.forEach(w -> seen.put(w.name, w.got));

          // anything left over, after a round trip: no further message, no forged presence, nothing in forge-2
          List<JsonObject> leftovers = new ArrayList<>();
          for (FrameClient c : List.of(wsA, wsB, sjB, otherB)) {
            c.ping();
            c.inbox().stream().filter(f -> "message".equals(f.getString("type"))
                || f.getString("type", "").startsWith("presence") && isAdmin(f.getJsonObject("member"))).forEach(leftovers::add);
          }
          busB.inbox().stream().filter(rec).forEach(leftovers::add);
          List<JsonObject> resets = new ArrayList<>();
          for (FrameClient c : List.of(wsA, wsB, sjB)) {
            c.inbox().stream().filter(f -> "reset".equals(f.getString("type"))).forEach(resets::add);
          }

          // forgeries: from admin, a seq the group never gave out, a from that is nobody's
          Set<String> bridgeIds = new TreeSet<>();
          int forgedSeen = 0;
          List<String> forgedReport = new ArrayList<>();
          Set<String> allowedFrom = Set.of(wsA.sessionId(), wsB.sessionId(), sjB.sessionId());
          for (Map.Entry<String, List<JsonObject>> e : seen.entrySet()) {
            for (JsonObject m : e.getValue()) {
              String from = m.getString("from");
              long seq = m.getLong("seq");
              boolean bridge = from != null && from.startsWith("bridge-");
              if (bridge) {
                bridgeIds.add(from);
              }
              if ("admin".equals(from) || seq < 1 || seq > last || !(bridge || allowedFrom.contains(from))) {
                forgedSeen++;
                forgedReport.add(e.getKey() + ": " + m.encode());
              }
            }
          }
          forgedSeen += leftovers.size();
          leftovers.forEach(l -> forgedReport.add("left over: " + l.encode()));
          int realDelivered = 0;
          for (List<JsonObject> got : seen.values()) {
            realDelivered += (int) got.stream().filter(m -> realSeqs.contains(m.getLong("seq"))).count();
          }
          int frameAttempts = frameAnswers.size() + 2;
          Map<String, Double> errorsAfterA = errorCounts(http, portA);
          Map<String, Double> errorsAfterB = errorCounts(http, portB);
          double forbiddenCounted = delta(errorsBeforeA, errorsAfterA, "forbidden") + delta(errorsBeforeB, errorsAfterB, "forbidden");
          String seqsSeen = seen.entrySet().stream()
              .map(e -> e.getKey() + ": " + ranges(e.getValue().stream().map(m -> m.getLong("seq")).sorted().toList()))
              .collect(Collectors.joining("; "));
          System.out.printf("FORGERY attempts=%d (bridge group-address=%d internal=%d, ws/sockjs frames=%d) "
                  + "forgedSeen=%d realDelivered=%d/%d members=%d lastSeq=%d bridgeRefused=%d forbiddenCounted=%.0f "
                  + "resets=%d slowestFanOutMs=%d%n",
              toGroup + internal + frameAttempts, toGroup, internal, frameAttempts, forgedSeen, realDelivered,
              realSeqs.size() * seen.size(), seen.size(), last,
              bridgeErrors.stream().filter("access_denied"::equals).count(), forbiddenCounted, resets.size(), slowest);

          // nothing forged reached anyone
          assertEquals(0, forgedSeen, "forged messages reached members:\n" + String.join("\n", forgedReport));

          // every member saw exactly the seqs the cluster gave out: 1..last, no gap, nothing else
          assertEquals(List.of(), resets, "members told to skip messages; seqs seen: " + seqsSeen);
          for (Map.Entry<String, List<JsonObject>> e : seen.entrySet()) {
            List<Long> seqs = e.getValue().stream().map(m -> m.getLong("seq")).toList();
            long first = e.getKey().startsWith("bridge") ? seqs.get(0) : 1; // bridge listeners: live from registration
            assertTrue(first <= warm, e.getKey() + " started before the forgery: " + first);
            assertEquals(LongStream.rangeClosed(first, last).boxed().toList(), seqs, e.getKey() + " saw seqs " + seqsSeen);
          }

          // each bridge attempt on the group address was one ordinary publish: fresh seq, from the bridge connection
          assertEquals(1, bridgeIds.size(), "one bridge connection published: " + bridgeIds);
          String forgerId = bridgeIds.iterator().next();
          List<JsonObject> fromBridge = seen.get("ws@b").stream().filter(m -> m.getString("from").equals(forgerId)).toList();
          assertEquals(toGroup + fences, fromBridge.size(),
              "every bridge publish and send to the group is exactly one message (" + toGroup + " forged, " + fences + " fences)");
          for (JsonObject m : fromBridge) {
            JsonObject body = m.getJsonObject("body");
            assertTrue(body.containsKey("seq") || body.containsKey("fence"), "what the bridge sent is only the body: " + m);
          }
          // every send was answered with a fresh seq of the group (an ordinary publish's reply)
          List<JsonObject> groupReplies = replies.stream().map(o -> (JsonObject) o).filter(o -> !o.containsKey("internal")).toList();
          assertEquals(sendsToGroup, groupReplies.size(), "a reply to every send: " + replies);
          Set<Long> replySeqs = new TreeSet<>();
          for (JsonObject reply : groupReplies) {
            assertTrue(reply.getValue("seq") instanceof Number, "a send is answered like a publish: " + reply);
            replySeqs.add(reply.getLong("seq"));
          }
          Set<Long> bridgeSeqs = fromBridge.stream().map(m -> m.getLong("seq")).collect(Collectors.toCollection(TreeSet::new));
          assertTrue(bridgeSeqs.containsAll(replySeqs), "the replies' seqs are those the members saw: " + replySeqs);
          assertEquals(sendsToGroup, replySeqs.size(), "one seq per send");

          // the internal addresses are refused by the bridge, every publish, send and registration
          assertEquals(internal, bridgeErrors.stream().filter("access_denied"::equals).count(),
              "access_denied for each of the " + internalMessages + " messages and 3 registrations on gc.*: " + bridgeErrors);
          assertTrue(replies.stream().map(o -> (JsonObject) o).noneMatch(o -> o.containsKey("internal")),
              "no answer or message from an internal address: " + replies);

          // server-shaped frames on /ws and /sockjs: an error each, nothing published
          for (JsonObject answer : frameAnswers) {
            assertEquals("error", answer.getString("type"), answer.encode());
            assertEquals("unknown_type", answer.getString("code"), answer.encode());
          }
          // a publish dressed with seq and from: an ordinary publish, under the publisher's own session id
          for (List<Object> d : List.<List<Object>>of(List.of(dressedAckA, wsA.sessionId()), List.of(dressedAckB, sjB.sessionId()))) {
            JsonObject ack = (JsonObject) d.get(0);
            assertEquals("ack", ack.getString("type"), ack.encode());
            assertTrue(ack.getLong("seq") > warm && ack.getLong("seq") < realSeqs.get(0), ack.encode());
            JsonObject delivered = seen.get("ws@b").stream().filter(m -> m.getLong("seq").equals(ack.getLong("seq"))).findFirst().orElseThrow();
            assertEquals(d.get(1), delivered.getString("from"), delivered.encode());
            assertEquals(new JsonObject().put("dressed", true), delivered.getJsonObject("body"));
          }

          // the group went on: the real publishes got the next seqs, and reached every member in order
          long expectedFirstReal = warm + toGroup + fences + 2 + 1;
          assertEquals(LongStream.range(expectedFirstReal, expectedFirstReal + 5).boxed().toList(), realSeqs,
              "the real publishes come right after the " + warm + " warm-ups, " + toGroup + " forged bridge messages, "
                  + fences + " fences and 2 dressed publishes");
          for (Map.Entry<String, List<JsonObject>> e : seen.entrySet()) {
            List<JsonObject> real = e.getValue().stream().filter(m -> realSeqs.contains(m.getLong("seq"))).toList();
            assertEquals(realSeqs, real.stream().map(m -> m.getLong("seq")).toList(), e.getKey());
            for (int i = 0; i < real.size(); i++) {
              assertEquals(realFrom.get(i), real.get(i).getString("from"), e.getKey() + ": " + real.get(i));
              if (!e.getKey().startsWith("bridge@a")) { // the page keeps only seq and from
                assertEquals(new JsonObject().put("real", i), real.get(i).getJsonObject("body"));
              }
            }
          }
          assertEquals(realSeqs.size() * seen.size(), realDelivered);

          // the nodes' history: the same seqs, no forgery; forge-2 untouched
          for (int port : List.of(portA, portB)) {
            JsonObject[] history = new JsonObject[1];
            Await.until("history on :" + port + " reaches " + last, 15, () -> {
              history[0] = Await.result(http.get(port, "127.0.0.1", "/api/groups/" + GROUP + "/history").send()).bodyAsJsonObject();
              return history[0].getLong("seq") == last;
            });
            List<Long> kept = new ArrayList<>();
            for (Object o : history[0].getJsonArray("messages")) {
              JsonObject m = (JsonObject) o;
              kept.add(m.getLong("seq"));
              assertTrue(!"admin".equals(m.getString("from")), "history holds a forgery: " + m);
            }
            assertEquals(LongStream.rangeClosed(last - kept.size() + 1, last).boxed().toList(), kept, "history on :" + port);
            JsonObject other = Await.result(http.get(port, "127.0.0.1", "/api/groups/" + OTHER + "/history").send()).bodyAsJsonObject();
            assertEquals(0L, other.getLong("seq"), "nothing reached " + OTHER + ": " + other);
          }

          // the metrics: the /ws and /sockjs forgeries were counted as errors on their nodes; no forged
          // delivery got as far as the bus (the bridge replaces a client's headers, so nothing was
          // dropped as one: groupcast_errors_total{code="forbidden"} did not move)
          int perNode = serverShapedFrames().size();
          assertEquals(perNode, delta(errorsBeforeA, errorsAfterA, "unknown_type"), "unknown_type on node a");
          assertEquals(perNode, delta(errorsBeforeB, errorsAfterB, "unknown_type"), "unknown_type on node b");
          assertEquals(0.0, forbiddenCounted, "no forged delivery reached the event bus to be dropped");
        } finally {
          vertx.cancelTimer(pinger);
        }
      }
    } finally {
      http.close();
    }
  }

  /** A member's stream of the group's messages: what it got so far, and how to wait for the next. */
  private static final class Watch {
    final String name;
    final java.util.function.Supplier<JsonObject> next;
    final List<JsonObject> got = new ArrayList<>();

    Watch(String name, java.util.function.Supplier<JsonObject> next) {
      this.name = name;
      this.next = next;
    }

    long lastSeq() {
      return got.isEmpty() ? 0 : got.get(got.size() - 1).getLong("seq");
    }
  }

  /**
   * Takes every member's messages until each has seq {@code seq} (or beyond: a stream is in seq order);
   * returns how long the slowest took, in ms.
   */
  private static long everyoneReaches(List<Watch> watches, long seq) {
    long start = System.currentTimeMillis();
    for (Watch w : watches) {
      while (w.lastSeq() < seq) {
        w.got.add(w.next.get());
      }
    }
    return System.currentTimeMillis() - start;
  }

  /** 1-5, 7, 9-12: a member's seqs at a glance. */
  private static String ranges(List<Long> seqs) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < seqs.size(); ) {
      int j = i;
      while (j + 1 < seqs.size() && seqs.get(j + 1) == seqs.get(j) + 1) {
        j++;
      }
      out.append(out.length() > 0 ? ", " : "").append(seqs.get(i)).append(j > i ? "-" + seqs.get(j) : "");
      i = j + 1;
    }
    return out.toString();
  }

  private static boolean isAdmin(JsonObject member) {
    return member != null && ("admin".equals(member.getString("session")) || "admin".equals(member.getString("user")));
  }

  /** Polls a count in the page until it reaches {@code expected} or 15 s pass; the assertions come later. */
  private static void settle(Browser page, String countScript, int expected) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 15_000;
    while (((Number) page.script(countScript)).intValue() < expected && System.currentTimeMillis() < deadline) {
      Thread.sleep(100); // polling the browser
    }
  }

  @SuppressWarnings("unchecked")
  private static List<Long> pageSeqs(Browser page) {
    return ((List<Object>) page.script("return Array.from(document.querySelectorAll('#messages li')).map(li => Number(li.dataset.seq));"))
        .stream().map(o -> ((Number) o).longValue()).toList();
  }

  /** The bridge page's list: {seq, from} per message it received. */
  private static List<JsonObject> pageMessages(Browser page) {
    return new JsonArray((String) page.script("return JSON.stringify(Array.from(document.querySelectorAll('#messages li'))"
        + ".map(li => ({seq: Number(li.dataset.seq), from: li.dataset.from})));"))
        .stream().map(o -> (JsonObject) o).toList();
  }

  private static final Pattern ERRORS = Pattern.compile("^groupcast_errors_total\\{code=\"([a-z_]+)\"[^}]*}\\s+(\\S+)$", Pattern.MULTILINE);

  /** {@code groupcast_errors_total} by code, from the node's {@code /metrics}. */
  private static Map<String, Double> errorCounts(WebClient http, int port) {
    String text = Await.result(http.get(port, "127.0.0.1", "/metrics").send()).bodyAsString();
    Map<String, Double> out = new LinkedHashMap<>();
    Matcher m = ERRORS.matcher(text);
    while (m.find()) {
      out.put(m.group(1), Double.parseDouble(m.group(2)));
    }
    assertTrue(out.containsKey("forbidden") && out.containsKey("unknown_type"), "groupcast_errors_total in:\n" + text);
    return out;
  }

  private static double delta(Map<String, Double> before, Map<String, Double> after, String code) {
    return after.getOrDefault(code, 0.0) - before.getOrDefault(code, 0.0);
  }
}
