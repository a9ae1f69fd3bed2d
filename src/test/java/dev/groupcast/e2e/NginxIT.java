package dev.groupcast.e2e;

import dev.groupcast.support.JarCluster;
import dev.groupcast.support.NginxProcess;
import dev.groupcast.support.SockJsClient;
import dev.groupcast.support.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code conf/nginx.conf} in front of a 2-node cluster, with Debian's nginx. */
@ExtendWith(VertxExtension.class)
class NginxIT {

  @Test
  void theShippedNginxConfigurationCarriesWebSocketsAndKeepsSockJsSessionsSticky(Vertx vertx) throws Exception {
    try (JarCluster cluster = JarCluster.start(vertx, "ngx", 2, Map.of());
         NginxProcess nginx = NginxProcess.start(List.of(cluster.node(0).httpPort, cluster.node(1).httpPort));
         WsClient viaNginx = WsClient.connect(vertx, nginx.port);
         WsClient onA = WsClient.connect(vertx, cluster.node(0).httpPort);
         WsClient onB = WsClient.connect(vertx, cluster.node(1).httpPort)) {
      for (WsClient c : List.of(viaNginx, onA, onB)) {
        c.join("nginx");
      }
      viaNginx.publish("nginx", "through nginx");
      for (WsClient c : List.of(viaNginx, onA, onB)) {
        assertEquals("through nginx", c.nextMessage("nginx").getString("body"));
      }
      for (SockJsClient.Transport transport : List.of(SockJsClient.Transport.XHR_POLLING,
          SockJsClient.Transport.XHR_STREAMING, SockJsClient.Transport.EVENTSOURCE)) {
        try (SockJsClient sock = SockJsClient.v1(vertx, nginx.port, transport)) {
          // several requests per session: each would find no session on the wrong node
          long joinedAt = sock.join("nginx").getLong("seq");
          for (int i = 0; i < 5; i++) {
            assertEquals("pong", sock.ping().getString("type"), transport + " ping " + i);
          }
          long sent = onA.publish("nginx", "to " + transport).getLong("seq");
          // the previous transport's message may come first: acked on the other node, it can reach this
          // node's feed after the join, which then answered the seq before it, so it follows the join
          JsonObject received = sock.next(f -> "message".equals(f.getString("type"))
              && ("to " + transport).equals(f.getValue("body")));
          assertEquals(sent, received.getLong("seq"));
          assertTrue(sent > joinedAt, "after the join's position");
          sock.publish("nginx", "from " + transport);
          assertEquals("from " + transport, onB.next(f -> ("from " + transport).equals(f.getValue("body")))
              .getString("body"));
        }
      }
    }
  }
}
