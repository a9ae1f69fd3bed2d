package dev.groupcast.auth;

import dev.groupcast.config.ConfigLoader;
import dev.groupcast.error.ProtocolException;
import dev.groupcast.support.Await;
import dev.groupcast.support.SockJsClient;
import dev.groupcast.support.TestCluster;
import dev.groupcast.support.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A node with {@code auth.required}: tokens at connect and in frames, claims, the API's admin credential. */
@ExtendWith(VertxExtension.class)
class AuthTest {

  static final String SECRET = "a-test-secret-that-is-at-least-32-characters";
  static final String API_KEY = "api-key-for-tests";
  static TestCluster cluster;
  static int port;
  static JWTAuth issuer;

  @BeforeAll
  static void start() {
    cluster = TestCluster.start(1, Map.of("GROUPCAST_AUTH_REQUIRED", "true", "GROUPCAST_AUTH_JWT_SECRET", SECRET,
        "GROUPCAST_AUTH_API_KEY", API_KEY, "GROUPCAST_LIMITS_API_RATE", "1", "GROUPCAST_LIMITS_API_BURST", "20"));
    port = cluster.httpPort(0);
    issuer = JWTAuth.create(cluster.node(0).vertx(), new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(SECRET)));
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  static String token(String sub, JsonObject groups, boolean admin) {
    JsonObject claims = new JsonObject().put("sub", sub);
    if (groups != null) {
      claims.put("groups", groups);
    }
    if (admin) {
      claims.put("admin", true);
    }
    return issuer.generateToken(claims, new JWTOptions().setExpiresInSeconds(300));
  }

  static JsonObject judgeGroups() {
    return new JsonObject().put("join", new JsonArray().add("judges.*")).put("publish", new JsonArray().add("judges.scores"));
  }

  static WsClient connect(Vertx vertx, String query, String bearer) {
    WebSocketConnectOptions o = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI("/ws" + query);
    if (bearer != null) {
      o.addHeader("Authorization", "Bearer " + bearer);
    }
    return WsClient.open(vertx, o);
  }

  static int refusedStatus(Vertx vertx, String query) {
    var client = vertx.createWebSocketClient(); // held: Vert.x 5 closes unreachable clients
    try {
      Throwable e = Await.failure(client.connect(new WebSocketConnectOptions()
          .setHost("127.0.0.1").setPort(port).setURI("/ws" + query)));
      return assertInstanceOf(UpgradeRejectedException.class, e).getStatus();
    } finally {
      client.close();
    }
  }

  @Test
  void aTokenIsDemandedAtConnect(Vertx vertx) {
    assertEquals(401, refusedStatus(vertx, ""), "auth.required: no token, no connection");
    assertEquals(401, refusedStatus(vertx, "?token=not.a.jwt"));
    String expired = issuer.generateToken(new JsonObject().put("sub", "old").put("exp", System.currentTimeMillis() / 1000 - 60));
    assertEquals(401, refusedStatus(vertx, "?token=" + expired));
    String forged = JWTAuth.create(vertx, new JWTAuthOptions().addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256")
        .setBuffer("another-secret-that-is-at-least-32-characters"))).generateToken(new JsonObject().put("sub", "eve"));
    assertEquals(401, refusedStatus(vertx, "?token=" + forged));
    try (WsClient viaQuery = connect(vertx, "?token=" + token("ann", null, false), null);
         WsClient viaHeader = connect(vertx, "", token("bo", null, false))) {
      assertEquals("welcome", viaQuery.welcome.getString("type"));
      assertEquals("welcome", viaHeader.welcome.getString("type"));
    }
  }

  @Test
  void claimsDecideFromAndWhatMayBeJoinedAndPublished(Vertx vertx) {
    try (WsClient ann = connect(vertx, "?token=" + token("ann", judgeGroups(), false), null)) {
      assertEquals("joined", ann.join("judges.scores").getString("type"));
      assertEquals("forbidden", ann.join("admins").getString("code"));
      assertEquals("forbidden", ann.publish("judges.chat", "hi").getString("code"));
      assertEquals("ack", ann.publish("judges.scores", 9.5).getString("type"));
      JsonObject m = ann.nextMessage("judges.scores");
      assertEquals("ann", m.getString("from"), "the token's sub, not a session id: from cannot be forged");
      assertFalse(ann.isClosed(), "refusals keep the connection");

      // a new token on the same connection: more rights; a bad one changes nothing
      assertEquals("unauthorized", ann.request(new JsonObject().put("type", "auth").put("token", "bad")).getString("code"));
      assertEquals("forbidden", ann.join("admins").getString("code"));
      JsonObject authed = ann.request(new JsonObject().put("type", "auth").put("token", token("ann", null, false)));
      assertEquals(new JsonObject().put("type", "authenticated").put("id", authed.getValue("id")).put("user", "ann"), authed);
      assertEquals("joined", ann.join("admins").getString("type"));
      assertEquals("bad_request", ann.request(new JsonObject().put("type", "auth")).getString("code"));
    }
  }

  @Test
  void theHttpApiNeedsTheAdminCredential(Vertx vertx) {
    WebClient http = WebClient.create(vertx);
    Buffer body = Buffer.buffer("{\"round\":1}");
    HttpResponse<Buffer> none = Await.result(http.post(port, "127.0.0.1", "/api/groups/g/messages").sendBuffer(body));
    assertEquals(401, none.statusCode());
    assertEquals("unauthorized", none.bodyAsJsonObject().getString("code"));
    HttpResponse<Buffer> user = Await.result(http.post(port, "127.0.0.1", "/api/groups/g/messages")
        .putHeader("Authorization", "Bearer " + token("ann", null, false)).sendBuffer(body));
    assertEquals(403, user.statusCode());
    assertEquals("forbidden", user.bodyAsJsonObject().getString("code"));
    assertEquals(202, Await.result(http.post(port, "127.0.0.1", "/api/groups/g/messages")
        .putHeader("X-Api-Key", API_KEY).sendBuffer(body)).statusCode());
    assertEquals(202, Await.result(http.post(port, "127.0.0.1", "/api/groups/g/messages")
        .putHeader("Authorization", "Bearer " + token("ops", null, true)).sendBuffer(body)).statusCode());
    assertEquals(401, Await.result(http.get(port, "127.0.0.1", "/api/nodes").send()).statusCode());
  }

  /** With auth on, the API's budget is the credential's: one service over its budget stops no other. */
  @Test
  void theApiBudgetIsPerCredential(Vertx vertx) {
    // every greedy request in flight at once: its refusals are held 0.5 to 1.5 s (the tarpit), during
    // which the bucket refills, so the other credential asks while they are still held
    WebClient greedyClient = WebClient.create(vertx, new io.vertx.ext.web.client.WebClientOptions(),
        new io.vertx.core.http.PoolOptions().setHttp1MaxSize(64));
    String greedy = "Bearer " + token("greedy-service", null, true);
    java.util.List<io.vertx.core.Future<HttpResponse<Buffer>>> answers = new java.util.ArrayList<>();
    for (int i = 0; i < 40; i++) { // burst 20
      answers.add(greedyClient.get(port, "127.0.0.1", "/api/groups/budget/history").putHeader("Authorization", greedy).send());
    }
    // once answers come back, the burst has reached the node (all were sent at once); a refusal takes a second
    Await.until("the greedy burst served", 5, () -> answers.stream().anyMatch(io.vertx.core.Future::succeeded));
    // the same address, another credential, at once: its own budget
    WebClient http = WebClient.create(vertx);
    assertEquals(200, Await.result(http.get(port, "127.0.0.1", "/api/groups/budget/history")
        .putHeader("X-Api-Key", API_KEY).send()).statusCode());
    long limited = answers.stream().map(Await::result).filter(r -> r.statusCode() == 429).count();
    assertTrue(limited > 0, "the greedy credential is refused past its burst");
    greedyClient.close();
  }

  @Test
  void sockJsTakesTheTokenInItsUrlAndClosesWithoutOne(Vertx vertx) {
    try (SockJsClient ok = SockJsClient.open(vertx, port, "/sockjs", SockJsClient.Transport.WEBSOCKET,
        "?token=" + token("cy", judgeGroups(), false))) {
      assertEquals("welcome", ok.nextOfType("welcome").getString("type"));
      ok.join("judges.scores");
      ok.publish("judges.scores", 7);
      assertEquals("cy", ok.nextMessage("judges.scores").getString("from"));
    }
    try (SockJsClient anonymous = SockJsClient.open(vertx, port, "/sockjs", SockJsClient.Transport.WEBSOCKET, "")) {
      assertEquals("unauthorized", anonymous.nextOfType("error").getString("code"));
      anonymous.awaitClose();
    }
  }

  @Test
  void bridgeMessagesCarryTheirTokenInHeaders(Vertx vertx) {
    try (SockJsClient bridge = SockJsClient.open(vertx, port, "/eventbus", SockJsClient.Transport.WEBSOCKET, "");
         WsClient member = connect(vertx, "?token=" + token("ops", null, false), null)) {
      member.join("judges.scores");
      bridge.send(new JsonObject().put("type", "publish").put("address", "group.judges.scores").put("body", 1));
      // our code first, then the bridge's own "rejected" for any refused message
      assertEquals("unauthorized", bridge.nextOfType("err").getString("body"));
      assertEquals("rejected", bridge.nextOfType("err").getString("body"));
      String dee = token("dee", judgeGroups(), false);
      bridge.send(new JsonObject().put("type", "publish").put("address", "group.judges.chat").put("body", 2)
          .put("headers", new JsonObject().put("token", dee)));
      assertEquals("forbidden", bridge.nextOfType("err").getString("body"));
      assertEquals("rejected", bridge.nextOfType("err").getString("body"));
      bridge.send(new JsonObject().put("type", "publish").put("address", "group.judges.scores").put("body", 3)
          .put("headers", new JsonObject().put("token", dee).put("from", "forged")));
      JsonObject m = member.nextMessage("judges.scores");
      assertEquals(3, m.getInteger("body"));
      assertEquals("dee", m.getString("from"));
    }
  }

  @Test
  void publicKeysVerifyRs256AndEs256Tokens(Vertx vertx) throws Exception {
    for (String[] kind : new String[][] {{"RSA", "RS256"}, {"EC", "ES256"}}) {
      KeyPairGenerator gen = KeyPairGenerator.getInstance(kind[0]);
      if (kind[0].equals("EC")) {
        gen.initialize(new ECGenParameterSpec("secp256r1"));
      } else {
        gen.initialize(2048);
      }
      KeyPair pair = gen.generateKeyPair();
      String publicPem = pem("PUBLIC KEY", pair.getPublic().getEncoded());
      String privatePem = pem("PRIVATE KEY", pair.getPrivate().getEncoded());
      Authenticator auth = new Authenticator(vertx, ConfigLoader.load(null, Map.of(
          "GROUPCAST_AUTH_JWT_PUBLIC_KEY", publicPem)).auth());
      JWTAuth signer = JWTAuth.create(vertx, new JWTAuthOptions()
          .addPubSecKey(new PubSecKeyOptions().setAlgorithm(kind[1]).setBuffer(privatePem)));
      String token = signer.generateToken(new JsonObject().put("sub", "kid-" + kind[1]),
          new JWTOptions().setAlgorithm(kind[1]));
      assertEquals("kid-" + kind[1], Await.result(auth.authenticate(token)).user());
      assertInstanceOf(ProtocolException.class, Await.failure(auth.authenticate(token("ann", null, false))),
          "an HS256 token is not accepted by a public-key-only setup");
    }
  }

  @Test
  void groupPatternsMatchWholeNamesWithWildcards() {
    GroupPatterns p = new GroupPatterns(java.util.List.of("judges.*", "room:7", "*.public"));
    assertTrue(p.matches("judges.a"));
    assertTrue(p.matches("judges."));
    assertTrue(p.matches("room:7"));
    assertTrue(p.matches("lobby.public"));
    assertFalse(p.matches("room:70"));
    assertFalse(p.matches("xjudges.a"));
    assertFalse(new GroupPatterns(java.util.List.of()).matches("anything"));
    assertTrue(GroupPatterns.ANY.matches("anything"));
    assertTrue(new GroupPatterns(java.util.List.of("a.b")).matches("a.b"));
    assertFalse(new GroupPatterns(java.util.List.of("a.b")).matches("axb"), "dots are literal");
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }
}
