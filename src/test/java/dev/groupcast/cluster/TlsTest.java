package dev.groupcast.cluster;

import dev.groupcast.support.Await;
import dev.groupcast.support.TestCluster;
import dev.groupcast.support.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TLS on the HTTP port, the proxy port and the event bus between nodes, with a self-signed pair made
 * the way the README shows ({@code openssl req -x509 ...}).
 */
@ExtendWith(VertxExtension.class)
class TlsTest {

  static Path dir;
  static TestCluster cluster;

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("groupcast-tls");
    Process openssl = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        "-keyout", dir.resolve("key.pem").toString(), "-out", dir.resolve("cert.pem").toString())
        .redirectErrorStream(true).start();
    assertTrue(openssl.waitFor(60, TimeUnit.SECONDS) && openssl.exitValue() == 0,
        new String(openssl.getInputStream().readAllBytes()));
    cluster = TestCluster.start(2, Map.of(
        "GROUPCAST_ROLES", "gateway,proxy",
        "GROUPCAST_TLS_CERT", dir.resolve("cert.pem").toString(),
        "GROUPCAST_TLS_KEY", dir.resolve("key.pem").toString(),
        "GROUPCAST_TLS_PROXY", "true",
        "GROUPCAST_TLS_EVENT_BUS", "true"));
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static PemTrustOptions trust() {
    return new PemTrustOptions().addCertPath(dir.resolve("cert.pem").toString());
  }

  private static WsClient wss(Vertx vertx, int port) {
    WebSocketConnectOptions o = new WebSocketConnectOptions().setHost("localhost").setPort(port).setURI("/ws").setSsl(true);
    return WsClient.open(vertx, o, new WebSocketClientOptions().setTrustOptions(trust()));
  }

  @Test
  void clientsSpeakTlsToNodesAndProxiesAndNodesToEachOther(Vertx vertx) {
    try (WsClient onNode1 = wss(vertx, cluster.httpPort(0));
         WsClient viaProxy2 = wss(vertx, cluster.proxyPort(1))) {
      onNode1.join("secure");
      viaProxy2.join("secure");
      viaProxy2.publish("secure", "over tls");
      // whichever node the proxy picked, the message crossed the event bus (TLS) or stayed local
      assertEquals("over tls", onNode1.nextMessage("secure").getString("body"));
      assertEquals("over tls", viaProxy2.nextMessage("secure").getString("body"));
    }
    WebClient https = WebClient.create(vertx, new WebClientOptions().setSsl(true).setTrustOptions(trust()));
    HttpResponse<Buffer> ready = Await.result(https.get(cluster.httpPort(1), "localhost", "/health/ready").send());
    assertEquals(200, ready.statusCode());

    WebSocketClient plain = vertx.createWebSocketClient();
    Await.failure(plain.connect(cluster.httpPort(0), "localhost", "/ws"));
    plain.close();
  }

  @Test
  void everyPublishCrossesTheEncryptedEventBus(Vertx vertx) {
    try (WsClient a = wss(vertx, cluster.httpPort(0)); WsClient b = wss(vertx, cluster.httpPort(1))) {
      a.join("secure-bus");
      b.join("secure-bus");
      for (int i = 0; i < 20; i++) {
        b.publishNoAck("secure-bus", i);
      }
      for (int i = 0; i < 20; i++) {
        assertEquals(i, a.nextMessage("secure-bus").getInteger("body"));
      }
    }
  }
}
